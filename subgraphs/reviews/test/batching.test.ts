import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRouterConfig, startRouter } from '@bazaar/router';
import type { RunningService } from '@bazaar/service';
import { createBook, GraphQLClient, mintedUser, startTestStack, TEST_SUBGRAPH_SECRET, secondInstanceEnvironment, type TestStack } from '@bazaar/testing';
import { loadReviewsConfig, startReviewsService } from '../src/index';
import { signUp, waitUntilKnown, writeReview } from './helpers';

/**
 * Book fields contributed by reviews are resolved in batches: for N books the router sends one
 * `_entities` call, and reviews answers it with a constant number of SQL statements whatever N is
 * (aggregates of every book in one statement, the first reviews of every book in one windowed one).
 * A second reviews instance on the same database counts the statements Prisma sends, behind a
 * second router.
 */
let stack: TestStack;
let counted: RunningService;
let router: RunningService;
const statements: string[] = [];

beforeAll(async () => {
  stack = await startTestStack({ subgraphs: ['users', 'books', 'reviews'] });
  const seller = (await mintedUser(stack, ['BUYER', 'SELLER'])).client;
  const bookIds: string[] = [];
  for (let batch = 0; batch < 60; batch += 20) {
    bookIds.push(...(await Promise.all(Array.from({ length: 20 }, (_, index) => createBook(seller, { title: `Batch ${String(batch + index).padStart(2, '0')}`, authors: ['Ann Author'] }).then(({ id }) => id)))));
  }
  const db = new pg.Pool({ connectionString: stack.databases.reviews!.url });
  try {
    await waitUntilKnown(db, bookIds);
  } finally {
    await db.end();
  }
  const readers = await Promise.all(['Ada', 'Ben', 'Cy', 'Di'].map((name) => signUp(stack, name)));
  await Promise.all(readers.flatMap(({ client }, reader) => bookIds.slice(0, 40).map((bookId, index) => writeReview(client, bookId, ((index + reader) % 5) + 1))));

  counted = await startReviewsService(
    loadReviewsConfig(secondInstanceEnvironment(stack, 'reviews')),
    { onQuery: (sql) => statements.push(sql) },
  );
  router = await startRouter(
    loadRouterConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      ROUTER_PORT: '0',
      SUBGRAPH_SIGNING_SECRET: TEST_SUBGRAPH_SECRET,
      USERS_SUBGRAPH_URL: stack.services.users!.url,
      BOOKS_SUBGRAPH_URL: stack.services.books!.url,
      REVIEWS_SUBGRAPH_URL: counted.url,
    }),
  );
});
afterAll(async () => {
  await router?.stop();
  await counted?.stop();
  await stack?.stop();
});

const BOOKS = /* GraphQL */ `
  query($first: Int!) {
    books(first: $first, sort: TITLE) {
      edges { node { title averageRating ratingCount reviews(first: 3) { totalCount edges { node { rating author { displayName } } } } } }
    }
  }
`;

interface BookNode {
  title: string;
  averageRating: number | null;
  ratingCount: number;
  reviews: { totalCount: number; edges: { node: { rating: number; author: { displayName: string } } }[] };
}

async function countStatements(first: number) {
  statements.length = 0;
  const { books } = await new GraphQLClient(router.url).data<{ books: { edges: { node: BookNode }[] } }>(BOOKS, { first });
  return { count: statements.length, books: books.edges.map(({ node }) => node) };
}

describe('books with their ratings and first reviews', () => {
  it('cost reviews a constant number of SQL statements, for 10 books as for 50', async () => {
    const fifty = await countStatements(50);
    expect(fifty.books).toHaveLength(50);
    const first = fifty.books[0]!;
    expect(first).toMatchObject({ title: 'Batch 00', ratingCount: 4, reviews: { totalCount: 4 } });
    expect(first.averageRating).toBe((1 + 2 + 3 + 4) / 4);
    expect(first.reviews.edges).toHaveLength(3);
    expect(first.reviews.edges.map(({ node }) => node.author.displayName).every((name) => ['Ada', 'Ben', 'Cy', 'Di'].includes(name))).toBe(true);
    expect(fifty.books.filter((book) => book.ratingCount === 4)).toHaveLength(40);
    expect(fifty.books.at(-1)).toMatchObject({ averageRating: null, ratingCount: 0, reviews: { totalCount: 0, edges: [] } });

    const ten = await countStatements(10);
    expect(fifty.count).toBeGreaterThan(0);
    expect(fifty.count).toBeLessThanOrEqual(2); // aggregates of every book, first reviews of every book
    expect(ten.count).toBe(fifty.count);
  });
});
