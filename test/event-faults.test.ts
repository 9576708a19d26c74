import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listBook, mintedUser, type GraphQLClient, type TestStack } from '@bazaar/testing';
import { listingQuantity, orderReaches, placeOrder, startCheckoutStack } from './checkout-helpers';

/**
 * Saga steps survive a consumer's rows being held locked for longer than any in-place retry window
 * (10 s): the event is retried (transaction timeouts are transient) until the lock goes, then
 * applied exactly once; nothing is parked. LOCK_HOLD_MS=30000 measures the figure; the
 * suite holds 15 s.
 */
const HOLD_MS = Number(process.env.LOCK_HOLD_MS ?? 15_000);

let stack: TestStack;
let seller: { id: string; client: GraphQLClient };

beforeAll(async () => void ({ stack, seller } = await startCheckoutStack('Fault Seller')));
afterAll(async () => stack?.stop());

/** Opens a transaction that holds `sql`'s row locks until release(). */
async function holdLocks(url: string, sql: string, values: unknown[]) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('BEGIN');
  const { rowCount } = await client.query(sql, values);
  expect(rowCount).toBe(1);
  return {
    async release() {
      await client.query('COMMIT');
      await client.end();
    },
  };
}

async function deadLetters(): Promise<number> {
  let total = 0;
  for (const database of Object.values(stack.databases)) {
    const pool = new pg.Pool({ connectionString: database.url, max: 1 });
    total += Number((await pool.query('SELECT count(*) AS n FROM dead_letter_events')).rows[0].n);
    await pool.end();
  }
  return total;
}

describe('a consumer whose rows are held locked', () => {
  it(`applies the saga step exactly once after a ${HOLD_MS / 1000} s lock, parking nothing`, async () => {
    const { listingId } = await listBook(seller.client, { title: 'Held Up', authors: ['Fault Author'] }, { amount: 900, quantity: 5, condition: 'NEW' });
    const buyer = await mintedUser(stack);
    // Books cannot reserve while the listing is locked, so the order stays PENDING until we hold its row too.
    const listingLock = await holdLocks(stack.databases.books!.url, 'SELECT id FROM listings WHERE id = $1::uuid FOR UPDATE', [listingId]);
    const order = await placeOrder(buyer.client, [{ listingId, quantity: 1 }]);
    const orderLock = await holdLocks(stack.databases.orders!.url, 'SELECT id FROM orders WHERE id = $1::uuid FOR UPDATE', [order.id]);
    await listingLock.release();
    // StockReserved now reaches orders, whose consumer waits on the held order row, times out, retries ...
    const heldSince = Date.now();
    await new Promise((resolve) => setTimeout(resolve, HOLD_MS));
    await orderLock.release();
    const awaiting = await orderReaches(buyer.client, order.id, 'AWAITING_PAYMENT', 120_000);
    const applied = Math.round((Date.now() - heldSince) / 1000);

    const history = new pg.Pool({ connectionString: stack.databases.orders!.url, max: 1 });
    const entries = Number((await history.query(`SELECT count(*) AS n FROM order_status_changes WHERE order_id = $1::uuid AND status = 'AWAITING_PAYMENT'`, [order.id])).rows[0].n);
    await history.end();
    const parked = await deadLetters();
    const stock = await listingQuantity(stack.client, listingId);
    console.log(`rows held locked ${HOLD_MS / 1000} s, then released: applied after ~${applied} s, AWAITING_PAYMENT entries = ${entries}, stock 5 → ${stock}, dead letters = ${parked}`);
    expect(awaiting.total).toEqual({ amount: 900, currency: 'EUR' });
    expect(entries).toBe(1);
    expect(stock).toBe(4);
    expect(parked).toBe(0);
  }, HOLD_MS + 180_000);
});
