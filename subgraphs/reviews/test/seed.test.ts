import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNTS, DEMO_SELLER_IDS } from '@bazaar/demo';
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

describe('demo seller feedback', () => {
  it('gives every demo seller a rated history that the offers of the demo catalog are sorted by', async () => {
    interface SeededReputation {
      averageRating: number;
      ratingCount: number;
      ratingCountLast12Months: number;
      positiveShareLast12Months: number;
      recentFeedback: { totalCount: number; edges: { node: { rating: number; buyer: { displayName: string } } }[] };
    }
    const reputations = await Promise.all(
      DEMO_SELLER_IDS.map(async (id) => {
        const { user } = await stack.client.data<{ user: { sellerReputation: SeededReputation } }>(
          `query($id: ID!) { user(id: $id) { sellerReputation { averageRating ratingCount ratingCountLast12Months positiveShareLast12Months
             recentFeedback(first: 5) { totalCount edges { node { rating buyer { displayName } } } } } } }`,
          { id },
        );
        return user.sellerReputation;
      }),
    );
    for (const reputation of reputations) {
      expect(reputation.ratingCount).toBeGreaterThan(10);
      expect(reputation.ratingCountLast12Months).toBeLessThan(reputation.ratingCount);
      expect(reputation.positiveShareLast12Months).toBeGreaterThan(0);
      expect(reputation.recentFeedback.totalCount).toBe(reputation.ratingCount);
      expect(reputation.recentFeedback.edges).toHaveLength(5);
    }
    expect(new Set(reputations.map(({ averageRating }) => averageRating)).size).toBe(DEMO_SELLER_IDS.length);

    // The catalog learns the ratings from SellerRatingChanged: a book offered by several sellers lists the best-rated first.
    const rank = new Map(DEMO_SELLER_IDS.map((id, index) => [id, reputations[index]!.averageRating]));
    const descending = (ratings: number[]) => ratings.every((rating, index) => index === 0 || rating <= ratings[index - 1]!);
    await expect
      .poll(
        async () => {
          const { books } = await stack.client.data<{ books: { edges: { node: { listings: { edges: { node: { seller: { id: string } } }[] } } }[] } }>(
            `{ books(first: 60) { edges { node { listings(first: 10, sort: SELLER_RATING) { edges { node { seller { id } } } } } } } }`,
          );
          // Every book offered by sellers of different ratings.
          return books.edges.map(({ node }) => node.listings.edges.map((edge) => rank.get(edge.node.seller.id)!)).filter((ratings) => new Set(ratings).size > 1);
        },
        { timeout: 60_000, interval: 500 },
      )
      .toSatisfy((offers: number[][]) => offers.length > 0 && offers.every(descending));
  });
});
