import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphQLClient, signUpAs, startTestStack, secondInstanceEnvironment, type TestStack } from '@bazaar/testing';
import type { RunningService } from '@bazaar/service';
import { loadCartConfig, startCartService } from '../src/index';
import { ADD } from './helpers';

/**
 * A cart's lines, prices, stock and problems come from a constant number of SQL statements,
 * whatever the number of lines: a second cart instance on the same database counts the statements
 * Prisma sends while the router-shaped `_entities` request for the viewer's cart is answered.
 */
let stack: TestStack;
let counted: RunningService;
let pool: pg.Pool;
const statements: string[] = [];
const big = { id: '', token: '' };
const small = { id: '', token: '' };

beforeAll(async () => {
  stack = await startTestStack({ subgraphs: ['users', 'cart'] });
  pool = new pg.Pool({ connectionString: stack.databases.cart!.url });
  // Listings as the catalog's events would have projected them (this test is about reads).
  const listingIds = Array.from({ length: 50 }, () => randomUUID());
  for (const [index, id] of listingIds.entries()) {
    await pool.query(
      `INSERT INTO listings (id, book_id, seller_id, price_amount, currency, quantity, status, price_as_of, stock_as_of)
       VALUES ($1, $2, $3, $4, $5, 5, 'ACTIVE', now(), now())`,
      [id, randomUUID(), randomUUID(), 500 + index, index % 5 === 0 ? 'GBP' : 'EUR'],
    );
  }
  for (const [shopper, count] of [[big, 50], [small, 5]] as const) {
    const { id, client } = await signUpAs(stack);
    shopper.id = id;
    shopper.token = await stack.tokens.issueAccessToken({ id, roles: ['BUYER'] });
    for (const listingId of listingIds.slice(0, count)) await client.data(ADD, { input: { listingId, quantity: 2 } });
  }
  // A few lines with problems, so every resolver has work to do.
  await pool.query(`UPDATE listings SET price_amount = price_amount + 100 WHERE id = ANY($1)`, [listingIds.slice(0, 3)]);
  counted = await startCartService(
    loadCartConfig(secondInstanceEnvironment(stack, 'cart')),
    { onQuery: (sql) => statements.push(sql), consume: false },
  );
});
afterAll(async () => {
  await counted?.stop();
  await pool?.end();
  await stack?.stop();
});

const USER_CART = /* GraphQL */ `
  query($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on User { id cart { itemCount subtotal { amount currency }
        items { id quantity listing { id } unitPrice { amount } lineTotal { amount } acceptedUnitPrice { amount } availableQuantity }
        problems { kind item { id } } } }
    }
  }
`;

async function countStatements(shopper: { id: string; token: string }) {
  statements.length = 0;
  const client = new GraphQLClient(counted.url, shopper.token);
  const data = await client.data<{ _entities: { cart: { itemCount: number; problems: unknown[] } }[] }>(USER_CART, {
    representations: [{ __typename: 'User', id: shopper.id }],
  });
  return { count: statements.length, cart: data._entities[0]!.cart };
}

describe('batched cart reads', () => {
  it('reads a 50-line cart in as many statements as a 5-line one', async () => {
    const fifty = await countStatements(big);
    const five = await countStatements(small);
    expect(fifty.cart.itemCount).toBe(100);
    expect(five.cart.itemCount).toBe(10);
    expect(fifty.cart.problems).toHaveLength(3);
    expect(fifty.count).toBeGreaterThan(0);
    expect(fifty.count).toBeLessThanOrEqual(3); // the cart, its lines, their listings
    expect(five.count).toBe(fifty.count);
  });
});
