import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphQLClient, signUpAs, startTestStack, secondInstanceEnvironment, type TestStack } from '@bazaar/testing';
import type { RunningService } from '@bazaar/service';
import { loadWishlistConfig, startWishlistService } from '../src/index';
import { ADD } from './helpers';

/**
 * A wishlist page and the Book fields the wishlist contributes (inMyWishlist, wishlistCount) are
 * answered in a constant number of SQL statements, whatever the number of items or books: a second
 * wishlist instance on the same database counts the statements Prisma sends.
 */
let stack: TestStack;
let counted: RunningService;
let pool: pg.Pool;
const statements: string[] = [];
const bookIds = Array.from({ length: 50 }, () => randomUUID());
const big = { id: '', token: '' };
const small = { id: '', token: '' };

beforeAll(async () => {
  stack = await startTestStack({ subgraphs: ['users', 'wishlist'] });
  pool = new pg.Pool({ connectionString: stack.databases.wishlist!.url });
  // Books as the catalog's events would have projected them (this test is about reads).
  for (const [index, id] of bookIds.entries()) await pool.query(`INSERT INTO books (id, title) VALUES ($1, $2)`, [id, `Batch ${index}`]);
  for (const [shopper, count] of [[big, 50], [small, 5]] as const) {
    const { id, client } = await signUpAs(stack);
    shopper.id = id;
    shopper.token = await stack.tokens.issueAccessToken({ id, roles: ['BUYER'] });
    for (const bookId of bookIds.slice(0, count)) await client.data(ADD, { input: { bookId, targetPrice: { amount: 999, currency: 'EUR' } } });
  }
  counted = await startWishlistService(
    loadWishlistConfig(secondInstanceEnvironment(stack, 'wishlist')),
    { onQuery: (sql) => statements.push(sql), consume: false },
  );
});
afterAll(async () => {
  await counted?.stop();
  await pool?.end();
  await stack?.stop();
});

async function countStatements<Data>(token: string, query: string, variables: Record<string, unknown>) {
  statements.length = 0;
  const data = await new GraphQLClient(counted.url, token).data<Data>(query, variables);
  return { count: statements.length, data };
}

const USER_WISHLIST = /* GraphQL */ `
  query($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on User { wishlist { items(first: 100) { totalCount edges { node { id note addedAt targetPrice { amount } book { id } } } } } }
    }
  }
`;
const BOOKS = /* GraphQL */ `
  query($representations: [_Any!]!) {
    _entities(representations: $representations) { ... on Book { id inMyWishlist wishlistCount } }
  }
`;

describe('batched wishlist reads', () => {
  it('reads a 50-item wishlist in as many statements as a 5-item one', async () => {
    type Result = { _entities: { wishlist: { items: { totalCount: number; edges: unknown[] } } }[] };
    const fifty = await countStatements<Result>(big.token, USER_WISHLIST, { representations: [{ __typename: 'User', id: big.id }] });
    const five = await countStatements<Result>(small.token, USER_WISHLIST, { representations: [{ __typename: 'User', id: small.id }] });
    expect(fifty.data._entities[0]!.wishlist.items.edges).toHaveLength(50);
    expect(five.data._entities[0]!.wishlist.items.totalCount).toBe(5);
    expect(fifty.count).toBeGreaterThan(0);
    expect(fifty.count).toBeLessThanOrEqual(2); // the page, the count
    expect(five.count).toBe(fifty.count);
  });

  it('resolves inMyWishlist and wishlistCount of 50 books in as many statements as of 5', async () => {
    type Result = { _entities: { id: string; inMyWishlist: boolean; wishlistCount: number }[] };
    const representations = (ids: string[]) => ids.map((id) => ({ __typename: 'Book', id }));
    const fifty = await countStatements<Result>(small.token, BOOKS, { representations: representations(bookIds) });
    const five = await countStatements<Result>(small.token, BOOKS, { representations: representations(bookIds.slice(10, 15)) });
    expect(fifty.data._entities.slice(0, 6).map(({ inMyWishlist, wishlistCount }) => [inMyWishlist, wishlistCount])).toEqual([
      [true, 2], [true, 2], [true, 2], [true, 2], [true, 2], [false, 1],
    ]);
    expect(five.data._entities.every(({ inMyWishlist, wishlistCount }) => !inMyWishlist && wishlistCount === 1)).toBe(true);
    expect(fifty.count).toBeLessThanOrEqual(2); // counts per book, the viewer's items among them
    expect(five.count).toBe(fifty.count);
  });
});
