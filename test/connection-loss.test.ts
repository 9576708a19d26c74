import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { listBook, mintedUser, signUpAs, startTestStack, type GraphQLClient, type TestStack } from '@bazaar/testing';
import { listingQuantity, placeOrder, readOrder } from './checkout-helpers';

/**
 * Issue #20: when Postgres dropped the relay's connection while it published, the books process
 * exited (4 runs of 4). Here every connection of every service database and of the event broker
 * is terminated (pg_terminate_backend, as a failover or a restart does) four times while orders
 * flow; the services must stay up (no uncaught error in this process, which runs them), keep
 * answering, and settle every order afterwards with stock conserved.
 */
const ROUNDS = 4;
let stack: TestStack;
let seller: { id: string; client: GraphQLClient };
let admin: pg.Pool;
const uncaught: unknown[] = [];
const recordUncaught = (error: unknown) => uncaught.push(error);

beforeAll(async () => {
  process.on('uncaughtException', recordUncaught);
  stack = await startTestStack({ subgraphs: ['users', 'books', 'orders', 'payments', 'cart'] });
  seller = await signUpAs(stack, ['BUYER', 'SELLER'], 'Connection Loss Seller');
  admin = new pg.Pool({ connectionString: inject('postgresAdminUrl'), max: 1 });
});
afterAll(async () => {
  await stack?.stop();
  await admin?.end();
  process.off('uncaughtException', recordUncaught);
});

async function terminateEveryConnection(): Promise<number> {
  const databases = [...Object.values(stack.databases), stack.eventsDatabase].map(({ name }) => name);
  const { rows } = await admin.query<{ n: string }>(
    'SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE datname = ANY($1::text[]) AND pid <> pg_backend_pid()',
    [databases],
  );
  return Number(rows[0]?.n ?? 0);
}

describe('services when Postgres drops their connections', () => {
  it('stay up through four rounds of terminated connections mid-checkout and settle every order', async () => {
    const copies = 12;
    const { listingId } = await listBook(seller.client, { title: 'Dropped Connections', authors: ['Fault Author'] }, { amount: 800, quantity: copies, condition: 'NEW' });
    const buyers = await Promise.all(Array.from({ length: 8 }, () => mintedUser(stack)));
    const orders: Array<{ buyer: GraphQLClient; id: string }> = [];
    let terminated = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const placing = buyers.slice(round * 2, round * 2 + 2).map(async ({ client }) => {
        const key = crypto.randomUUID();
        // A request caught by the termination gets a retryable error; the client sends it again.
        const order = await vi.waitFor(() => placeOrder(client, [{ listingId, quantity: 1 }], key), { timeout: 60_000, interval: 250 });
        orders.push({ buyer: client, id: order.id });
      });
      terminated += await terminateEveryConnection();
      await Promise.all(placing);
    }
    const views = await Promise.all(
      orders.map(({ buyer, id }) =>
        vi.waitFor(
          async () => {
            const view = await readOrder(buyer, id);
            expect(view.status).not.toBe('PENDING');
            return view;
          },
          { timeout: 90_000, interval: 250 },
        ),
      ),
    );
    const held = views.filter((view) => view.status === 'AWAITING_PAYMENT').length;
    const left = await listingQuantity(stack.client, listingId);
    console.log(`${ROUNDS} rounds, ${terminated} connections terminated: ${orders.length} orders, ${held} awaiting payment, stock ${left} + ${held} = ${copies}; uncaught errors: ${uncaught.length}`);
    expect(uncaught).toEqual([]);
    expect(held).toBe(orders.length);
    expect(left + held).toBe(copies);
    for (const service of Object.values(stack.services)) expect((await fetch(new URL('/health', service.url))).status, service.name).toBe(200);
  }, 300_000);
});
