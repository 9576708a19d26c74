import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNTS } from '@bazaar/demo';
import { startTestStack, type TestStack } from '@bazaar/testing';

/**
 * The demo reviews are of the demo catalog's books, which reviews learns from the catalog's events
 * (it imports nothing of books), by the shared demo accounts (@bazaar/demo): checked end to end
 * through the router.
 */
let stack: TestStack;
let db: pg.Pool;

beforeAll(async () => {
  stack = await startTestStack({ subgraphs: ['users', 'books', 'reviews'], env: { SEED_DEMO_DATA: 'true', DEMO_CATALOG_SIZE: '60' } });
  db = new pg.Pool({ connectionString: stack.databases.reviews!.url });
});
afterAll(async () => {
  await db?.end();
  await stack?.stop();
});

interface SeededBook {
  id: string;
  title: string;
  averageRating: number | null;
  ratingCount: number;
  ratingHistogram: { stars: number; count: number }[];
  reviews: { totalCount: number; edges: { node: { rating: number; verifiedPurchase: boolean; author: { displayName: string } } }[] };
}

describe('demo reviews', () => {
  it('review the demo catalog, with varied ratings, some verified, and exact aggregates', async () => {
    // Written once the known-books projection holds the whole catalog, some time after start.
    await expect.poll(async () => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM reviews')).rows[0]!.n), { timeout: 120_000, interval: 250 }).toBeGreaterThan(0);
    const { books } = await stack.client.data<{ books: { edges: { node: SeededBook }[] } }>(/* GraphQL */ `
      { books(first: 60) { edges { node { id title averageRating ratingCount ratingHistogram { stars count }
          reviews(first: 5) { totalCount edges { node { rating verifiedPurchase author { displayName } } } } } } } }`);
    const nodes = books.edges.map(({ node }) => node);
    expect(nodes).toHaveLength(60);
    const reviewed = nodes.filter((book) => book.ratingCount > 0);
    expect(reviewed.length).toBeGreaterThan(5);
    expect(reviewed.length).toBeLessThan(60);
    const all = reviewed.flatMap((book) => book.reviews.edges.map(({ node }) => node));
    expect(new Set(all.map(({ rating }) => rating)).size).toBeGreaterThanOrEqual(4);
    expect(all.some(({ verifiedPurchase }) => verifiedPurchase)).toBe(true);
    expect(all.some(({ verifiedPurchase }) => !verifiedPurchase)).toBe(true);
    const names = new Set(DEMO_ACCOUNTS.map(({ displayName }) => displayName));
    expect(all.every(({ author }) => names.has(author.displayName))).toBe(true);
    for (const book of reviewed) {
      const ratings = book.reviews.edges.map(({ node }) => node.rating);
      expect(book.reviews.totalCount).toBe(book.ratingCount);
      expect(ratings).toHaveLength(book.ratingCount);
      expect(book.averageRating).toBeCloseTo(ratings.reduce((sum, rating) => sum + rating, 0) / ratings.length, 10);
      expect(book.ratingHistogram).toEqual([5, 4, 3, 2, 1].map((stars) => ({ stars, count: ratings.filter((rating) => rating === stars).length })));
    }
    // Reviews knows every demo book from the catalog's events, so each can be reviewed.
    const { rows } = await db.query<{ count: string }>('SELECT count(*) FROM known_books WHERE book_id = ANY($1::uuid[])', [nodes.map(({ id }) => id)]);
    expect(Number(rows[0]!.count)).toBe(60);
  });
});
