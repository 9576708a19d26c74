import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintedUser, settled, startTestStack, type TestStack } from '@bazaar/testing';
import { runCommand } from '@bazaar/testing/processes';

/** `npm run seed -w @bazaar/books -- --size <n>`, as a process of its own against the stack's books database. */
const runSeedCommand = (booksUrl: string, size: number) =>
  runCommand(fileURLToPath(new URL('../src/seed-cli.ts', import.meta.url)), ['--size', String(size)], { BOOKS_DATABASE_URL: booksUrl });

describe('the seed command', () => {
  let stack: TestStack;
  const pools: Record<string, pg.Pool> = {};
  const count = async (service: string, sql: string) => Number((await pools[service]!.query<{ n: string }>(sql)).rows[0]!.n);

  beforeAll(async () => {
    stack = await startTestStack();
    for (const service of ['books', 'cart', 'wishlist', 'reviews']) pools[service] = new pg.Pool({ connectionString: stack.databases[service]!.url, max: 2 });
  }, 120_000);
  afterAll(async () => {
    await Promise.all(Object.values(pools).map((pool) => pool.end()));
    await stack?.stop();
  });

  it('announces what it seeds, so cart, wishlist and reviews agree with the catalog', async () => {
    const { code, output } = await runSeedCommand(stack.databases.books!.url, 100);
    expect(code, output).toBe(0);
    expect(output).toContain('seeded 100 books');
    const books = await count('books', 'SELECT count(*) AS n FROM books');
    const listings = await count('books', 'SELECT count(*) AS n FROM listings');
    expect(books).toBe(100);

    const projections = async () => ({
      cartListings: await count('cart', 'SELECT count(*) AS n FROM listings'),
      wishlistBooks: await count('wishlist', 'SELECT count(*) AS n FROM books'),
      wishlistListings: await count('wishlist', 'SELECT count(*) AS n FROM listings'),
      reviewsBooks: await count('reviews', 'SELECT count(*) AS n FROM known_books'),
    });
    const expected = { cartListings: listings, wishlistBooks: books, wishlistListings: listings, reviewsBooks: books };
    await settled(projections, (seen) => JSON.stringify(seen) === JSON.stringify(expected), (seen) => `projections ${JSON.stringify(seen)}, catalog ${JSON.stringify(expected)}`, 60_000);

    // And a buyer can put a seeded listing in their cart through the graph.
    const { rows } = await pools.books!.query<{ id: string }>(`SELECT id FROM listings WHERE status = 'ACTIVE' AND quantity > 0 ORDER BY id LIMIT 1`);
    const buyer = await mintedUser(stack);
    const added = await buyer.client.data<{ addToCart: { cart: { itemCount: number } } }>(
      `mutation($listingId: ID!) { addToCart(input: { listingId: $listingId, quantity: 1 }) { cart { itemCount } } }`,
      { listingId: rows[0]!.id },
    );
    expect(added.addToCart.cart.itemCount).toBe(1);
  }, 120_000);
});
