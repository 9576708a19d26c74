import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listBook, mintedUser, signUpAs, startTestStack, type GraphQLClient, type TestStack } from '@bazaar/testing';
import { asProcesses } from '@bazaar/testing/processes';
import { SHIPPING_ADDRESS } from './checkout-helpers';

/**
 * Money and stock survive crashes: buyers place, pay and cancel orders over listings of several
 * sellers while books, orders and payments are SIGKILLed and started again (real processes, real
 * Postgres, the real router). Once the stack settled, every listing's copies and every order's
 * money add up. KILL_RESTART_BUYERS / KILL_RESTART_ROUNDS / KILL_RESTART_STEPS_PER_KILL make the
 * workload bigger and the kills denser (the suite's default kills each victim about twice: a restart
 * costs a process start, the slowest thing in the suite on a busy machine).
 */
const BUYERS = Number(process.env.KILL_RESTART_BUYERS ?? 6);
const ROUNDS = Number(process.env.KILL_RESTART_ROUNDS ?? 3);
const STEPS_PER_KILL = Number(process.env.KILL_RESTART_STEPS_PER_KILL ?? 6);
const VICTIMS = ['books', 'orders', 'payments'];
const STOCK = 40;

let stack: TestStack;
/** Each subgraph's real main.ts as a process of its own, so it can be SIGKILLed and started again. */
const processes = asProcesses();
const pools: Record<string, pg.Pool> = {};

beforeAll(async () => {
  stack = await startTestStack({
    subgraphs: ['users', 'books', 'orders', 'payments'],
    starter: processes,
    // A short lease and reconcile interval, so payments left PENDING by a killed payOrder settle soon.
    env: { PAYMENTS_PROVIDER_TIMEOUT_MS: '1000', PAYMENTS_IDEMPOTENCY_LEASE_MS: '3000', PAYMENTS_RECONCILE_INTERVAL_MS: '1000' },
  });
  for (const name of ['books', 'orders', 'payments']) pools[name] = new pg.Pool({ connectionString: stack.databases[name]!.url, max: 2 });
}, 300_000);
afterAll(async () => {
  await Promise.all(Object.values(pools).map((pool) => pool.end()));
  await stack?.stop();
});

const rows = async <Row extends pg.QueryResultRow>(db: string, sql: string, params: unknown[] = []) => (await pools[db]!.query<Row>(sql, params)).rows;

/** Error codes (and client-side failures) seen while subgraphs were down, and how often. */
const answers = new Map<string, number>();
const note = (code: string) => answers.set(code, (answers.get(code) ?? 0) + 1);

/**
 * Sends an operation as a careful client does while a service restarts: anything that is not a
 * domain answer (a failed fetch, SERVICE_UNAVAILABLE, an internal error while a subgraph is down)
 * is sent again with the same variables, so the same idempotency key.
 */
async function send<Data>(client: GraphQLClient, query: string, variables: Record<string, unknown>): Promise<{ data?: Data; code?: string }> {
  for (let attempt = 1; ; attempt++) {
    const result = await client.request<Data>(query, variables).catch((error: Error) => {
      note(`fetch failed: ${error.message.slice(0, 40)}`);
      return null;
    });
    const code = result ? (result.errors?.[0]?.extensions?.code as string | undefined) : 'NO_RESPONSE';
    if (code) note(code);
    const domainAnswer = result && (!code || ['BAD_USER_INPUT', 'CONFLICT', 'NOT_FOUND', 'FORBIDDEN'].includes(code));
    if (domainAnswer || attempt >= 200) return code ? { code } : { data: result!.data! };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const PLACE = `mutation($input: PlaceOrderInput!, $key: String!) { placeOrder(input: $input, idempotencyKey: $key) { order { id } } }`;
const READ = `query($id: ID!) { order(id: $id) { status } }`;
const PAY = `mutation($input: PayOrderInput!) { payOrder(input: $input) { payment { status } } }`;
const CANCEL = `mutation($id: ID!) { cancelOrder(orderId: $id) { order { status } } }`;

/** Polls the order until `leave` accepts its status, or gives up after `tries` looks (returning the last status). */
async function orderStatus(client: GraphQLClient, orderId: string, leave: (status: string) => boolean, tries = Infinity): Promise<string> {
  for (let looked = 1; ; looked++) {
    const read = await send<{ order: { status: string } }>(client, READ, { id: orderId });
    const status = read.data?.order.status ?? 'unknown';
    if (leave(status) || looked >= tries) return status;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** One buyer's session: orders of one or two listings; each paid, cancelled, paid then cancelled, or left unpaid. */
async function shop(listings: string[], index: number, progress: () => void): Promise<string[]> {
  const buyer = await mintedUser(stack);
  const done: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const items = [listings[(index + round) % listings.length]!, listings[(index * 3 + round + 1) % listings.length]!]
      .slice(0, 1 + (round % 2))
      .filter((listingId, position, all) => all.indexOf(listingId) === position)
      .map((listingId) => ({ listingId, quantity: 1 + ((index + round) % 2) }));
    const placed = await send<{ placeOrder: { order: { id: string } } }>(buyer.client, PLACE, { input: { items, shippingAddress: SHIPPING_ADDRESS }, key: randomUUID() });
    progress();
    if (!placed.data) continue;
    const orderId = placed.data.placeOrder.order.id;
    done.push(orderId);
    const status = await orderStatus(buyer.client, orderId, (value) => value !== 'PENDING');
    if (status !== 'AWAITING_PAYMENT') continue;
    const plan = (index + round) % 4; // 0, 1: pay; 2: cancel unpaid; 3: pay, then cancel
    if (plan !== 2) {
      await send(buyer.client, PAY, { input: { orderId, paymentMethodToken: 'tok_visa', idempotencyKey: randomUUID() } });
      progress();
    }
    if (plan >= 2) {
      // A payment interrupted by a kill may leave the order payable: cancel it anyway after a while.
      if (plan === 3) await orderStatus(buyer.client, orderId, (value) => value !== 'AWAITING_PAYMENT', 150);
      await send(buyer.client, CANCEL, { id: orderId });
      progress();
    }
  }
  return done;
}

interface Figures {
  orders: Record<string, number>;
  unsettled: string[];
  violations: string[];
  captures: number;
  refunds: number;
  stock: string[];
}

/** What the databases say now: the invariants' violations, and what keeps the stack from being settled. */
async function check(listings: string[]): Promise<Figures> {
  const orders = await rows<{ id: string; status: string; paid_at: Date | null }>('orders', `SELECT id::text, status, paid_at FROM orders`);
  const money = await rows<{ order_id: string; captures: string; refunds: string }>(
    'payments',
    `SELECT p.order_id, count(*) FILTER (WHERE c.kind = 'CAPTURE') AS captures, count(*) FILTER (WHERE c.kind = 'REFUND') AS refunds
       FROM payments p JOIN provider_charges c ON c.charge_id = p.charge_reference
      GROUP BY p.order_id`,
  );
  const moneyOf = new Map(money.map((row) => [row.order_id, { captures: Number(row.captures), refunds: Number(row.refunds) }]));
  const unsettled: string[] = [];
  const violations: string[] = [];
  for (const order of orders) {
    const { captures, refunds } = moneyOf.get(order.id) ?? { captures: 0, refunds: 0 };
    if (order.status === 'PENDING') unsettled.push(`order ${order.id} PENDING`);
    if (['PAID', 'PARTIALLY_SHIPPED', 'SHIPPED', 'DELIVERED'].includes(order.status) && (captures !== 1 || refunds !== 0)) {
      violations.push(`${order.status} order ${order.id}: ${captures} captures, ${refunds} refunds`);
    }
    if (['CANCELLED', 'EXPIRED', 'REFUNDED'].includes(order.status) && order.paid_at && refunds < captures) {
      violations.push(`${order.status} paid order ${order.id}: ${captures} captures, ${refunds} refunds`);
    }
    if (['CANCELLED', 'EXPIRED', 'REJECTED'].includes(order.status) && !order.paid_at && captures > 0) {
      violations.push(`${order.status} order ${order.id} cancelled before pay: ${captures} captures`);
    }
  }
  const open = await rows<{ id: string; status: string }>('payments', `SELECT id::text, status FROM payments WHERE status IN ('PENDING', 'AUTHORIZED')`);
  unsettled.push(...open.map(({ id, status }) => `payment ${id} ${status}`));
  for (const db of ['books', 'orders', 'payments']) {
    const [{ n }] = await rows<{ n: string }>(db, `SELECT count(*) AS n FROM outbox_events WHERE published_at IS NULL`) as [{ n: string }];
    if (Number(n) > 0) unsettled.push(`${db}: ${n} events not published`);
    const [{ dead }] = await rows<{ dead: string }>(db, `SELECT count(*) AS dead FROM dead_letter_events`) as [{ dead: string }];
    if (Number(dead) > 0) violations.push(`${db}: ${dead} dead letters`);
  }
  // Stock: what each listing started with = on hand (available + reserved) + sold (committed reservations).
  const stock = await rows<{ id: string; quantity: number; reserved: number; sold: string; held: string }>(
    'books',
    `SELECT l.id::text, l.quantity, l.reserved,
            COALESCE((SELECT sum((line->>'quantity')::int) FROM stock_reservations r, jsonb_array_elements(r.lines) line
                       WHERE r.status = 'COMMITTED' AND line->>'listingId' = l.id::text), 0) AS sold,
            COALESCE((SELECT sum((line->>'quantity')::int) FROM stock_reservations r, jsonb_array_elements(r.lines) line
                       WHERE r.status = 'RESERVED' AND line->>'listingId' = l.id::text), 0) AS held
       FROM listings l WHERE l.id = ANY($1::uuid[])`,
    [listings],
  );
  for (const listing of stock) {
    if (listing.quantity + listing.reserved + Number(listing.sold) !== STOCK) violations.push(`listing ${listing.id}: ${listing.quantity} + ${listing.reserved} + ${listing.sold} ≠ ${STOCK}`);
    if (listing.reserved !== Number(listing.held)) violations.push(`listing ${listing.id}: reserved ${listing.reserved}, reservations hold ${listing.held}`);
  }
  const byStatus: Record<string, number> = {};
  for (const order of orders) byStatus[order.status] = (byStatus[order.status] ?? 0) + 1;
  return {
    orders: byStatus,
    unsettled,
    violations,
    captures: money.reduce((sum, row) => sum + Number(row.captures), 0),
    refunds: money.reduce((sum, row) => sum + Number(row.refunds), 0),
    stock: stock.map((listing) => `${listing.quantity}+${listing.reserved}+${listing.sold}`),
  };
}

describe('kill and restart', () => {
  it('keeps stock and money adding up while books, orders and payments are SIGKILLed and restarted', async () => {
    const sellers = await Promise.all([1, 2, 3].map((n) => signUpAs(stack, ['BUYER', 'SELLER'], `Crash Seller ${n}`)));
    const listings: string[] = [];
    for (const [n, seller] of sellers.entries()) {
      for (const copy of [1, 2]) {
        listings.push((await listBook(seller.client, { title: `Crash Book ${n}.${copy}`, authors: ['Crash Author'] }, { amount: 1000 + 100 * n + copy, quantity: STOCK, condition: 'NEW' })).listingId);
      }
    }
    // Kills follow the workload's progress (every few steps a victim dies and comes back), not the clock.
    let steps = 0;
    let kills = 0;
    let finished = false;
    let wake: () => void = () => undefined;
    const progress = () => {
      steps++;
      wake();
    };
    const killer = (async () => {
      for (let round = 0; !finished; round++) {
        const target = steps + STEPS_PER_KILL;
        while (!finished && steps < target) await new Promise<void>((resolve) => (wake = resolve));
        if (finished) break;
        const victim = VICTIMS[round % VICTIMS.length]!;
        await processes.kill(victim);
        kills++;
        await processes.restart(victim);
      }
    })();
    const placed = (await Promise.all(Array.from({ length: BUYERS }, (_, index) => shop(listings, index, progress)))).flat();
    finished = true;
    wake();
    await killer;

    let figures = await check(listings);
    await expect
      .poll(async () => {
        figures = await check(listings);
        return figures.unsettled;
      }, { timeout: 300_000, interval: 1000 })
      .toEqual([]);
    console.log(
      `kill and restart: ${placed.length} orders placed by ${BUYERS} buyers, ${kills} SIGKILLs (${VICTIMS.join(', ')}); orders by status ${JSON.stringify(figures.orders)}; ` +
        `captures = ${figures.captures}, refunds = ${figures.refunds}; stock per listing (available + reserved + sold, started with ${STOCK}) = ${figures.stock.join(', ')}; ` +
        `answers while restarting = ${JSON.stringify(Object.fromEntries(answers))}; violations = ${JSON.stringify(figures.violations)}`,
    );
    expect(kills).toBeGreaterThanOrEqual(VICTIMS.length);
    expect(figures.violations).toEqual([]);
    expect(figures.stock).toHaveLength(listings.length);
  }, 900_000);
});
