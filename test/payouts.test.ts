import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, listBook, mintedUser, signUpAs, startTestStack, type Actor, type GraphQLClient, type TestStack } from '@bazaar/testing';
import { runCommand } from '@bazaar/testing/processes';
import { orderReaches, payOrder, placeOrder } from './checkout-helpers';

/**
 * Seller payouts end to end (docs/payouts.md), through the router with books, orders and payments
 * on the real event transport: a random workload of paid, shipped, delivered, cancelled and refunded
 * orders across three sellers, run concurrently; then the ledger must balance to zero, every
 * seller's balance must be exactly what their orders earned (commission rounded as documented), their
 * statement must add up to it, and a payout run (twice, concurrently, then again) must pay once.
 */
const COMMISSION_BPS = 1250; // 12.5 %: odd prices make the rounding rule matter
const ORDERS = Number(process.env.PAYOUT_WORKLOAD_ORDERS ?? 16);
const SEED = Number(process.env.PAYOUT_WORKLOAD_SEED ?? Date.now() % 100_000);
const PRICES = [1299, 455, 1005, 2999, 333, 1750];
const OUTCOMES = ['PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED', 'REFUNDED'] as const;
type Outcome = (typeof OUTCOMES)[number];

interface Money {
  amount: number;
  currency: string;
}
interface Balance {
  pending: Money[];
  available: Money[];
  paidOut: Money[];
}
interface Listing {
  listingId: string;
  seller: Actor;
  price: number;
}
interface PlannedOrder {
  buyer: GraphQLClient;
  lines: { listing: Listing; quantity: number }[];
  outcome: Outcome;
}

let stack: TestStack;
let pool: pg.Pool;
let sellers: Actor[];
let admin: Actor;
let listings: Listing[];

beforeAll(async () => {
  stack = await startTestStack({
    subgraphs: ['users', 'books', 'orders', 'payments'],
    env: { MARKETPLACE_COMMISSION_BPS: String(COMMISSION_BPS), PAYOUT_HOLD_DAYS: '0', PAYOUT_RELEASE_INTERVAL_MS: '200' },
  });
  pool = new pg.Pool({ connectionString: stack.databases.payments!.url });
  sellers = await Promise.all(['Ledger Seller A', 'Ledger Seller B', 'Ledger Seller C'].map((name) => signUpAs(stack, ['BUYER', 'SELLER'], name)));
  admin = await signUpAs(stack, ['BUYER', 'ADMIN'], 'Ledger Admin');
  listings = await Promise.all(
    PRICES.map(async (price, index) => {
      const seller = sellers[index % sellers.length]!;
      const { listingId } = await listBook(seller.client, { title: `Ledger Book ${index}` }, { amount: price, quantity: 500 });
      return { listingId, seller, price };
    }),
  );
}, 120_000);
afterAll(async () => {
  await pool?.end();
  await stack?.stop();
});

/** A small seeded generator (mulberry32), so a failing workload can be replayed with PAYOUT_WORKLOAD_SEED. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The documented rule: commission = gross × bps / 10 000, rounded to the nearest minor unit, halves up. */
const commissionOf = (gross: number) => Math.floor((gross * COMMISSION_BPS + 5_000) / 10_000);

const BALANCE = `query($id: ID!) { user(id: $id) { id balance { pending { amount currency } available { amount currency } paidOut { amount currency } } } }`;
const LEDGER = `query($id: ID!, $after: String) { user(id: $id) { ledger(first: 7, after: $after) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { node { id kind account amount { amount currency } balanceAfter { amount currency } order { id } payout { id reference } } } } } }`;
const PAYOUTS = `query($id: ID!) { user(id: $id) { payouts(first: 100) { totalCount edges { node { id reference amount { amount currency } seller { id } } } } } }`;
const RUN_PAYOUTS = `mutation { runPayouts { released payouts { id reference amount { amount currency } seller { id } } } }`;

const balanceOf = async (client: GraphQLClient, userId: string) => (await client.data<{ user: { balance: Balance } }>(BALANCE, { id: userId })).user.balance;

const eur = (balance: Balance) => ({ pending: balance.pending[0]?.amount ?? 0, available: balance.available[0]?.amount ?? 0, paidOut: balance.paidOut[0]?.amount ?? 0 });

interface StatementEntry {
  id: string;
  kind: string;
  account: 'PENDING' | 'AVAILABLE' | 'PAID_OUT';
  amount: Money;
  balanceAfter: Money;
  order: { id: string } | null;
  payout: { id: string; reference: string } | null;
}

interface LedgerPage {
  user: { ledger: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: StatementEntry }[] } };
}

/** Every entry of a seller's statement, page by page (7 at a time, so the cursors are exercised). */
async function statementOf(client: GraphQLClient, userId: string): Promise<StatementEntry[]> {
  const entries: StatementEntry[] = [];
  let after: string | null = null;
  for (;;) {
    const { user }: LedgerPage = await client.data<LedgerPage>(LEDGER, { id: userId, after });
    entries.push(...user.ledger.edges.map(({ node }) => node));
    if (!user.ledger.pageInfo.hasNextPage) {
      expect(entries).toHaveLength(user.ledger.totalCount);
      return entries;
    }
    after = user.ledger.pageInfo.endCursor;
  }
}

/** The seller's statement adds up to their balance, account by account, and each entry's balanceAfter runs along it. */
async function expectStatementAddsUp(seller: Actor): Promise<number> {
  const [statement, balance] = await Promise.all([statementOf(seller.client, seller.id), balanceOf(seller.client, seller.id)]);
  const sums = { PENDING: 0, AVAILABLE: 0, PAID_OUT: 0 };
  // Newest first: the oldest entry of an account comes last.
  for (const entry of [...statement].reverse()) {
    sums[entry.account] += entry.amount.amount;
    expect(entry.balanceAfter.amount, `balanceAfter of ${entry.kind} ${entry.id}`).toBe(sums[entry.account]);
  }
  expect({ pending: sums.PENDING, available: sums.AVAILABLE, paidOut: sums.PAID_OUT }).toEqual(eur(balance));
  return statement.length;
}

async function ledgerTotals() {
  const { rows } = await pool.query<{ entries: string; total: string | null; unbalanced: string; drift: string }>(`
    SELECT (SELECT count(*) FROM ledger_entries) AS entries,
           (SELECT sum(amount) FROM ledger_entries) AS total,
           (SELECT count(*) FROM (SELECT 1 FROM ledger_entries GROUP BY transaction_id, currency HAVING sum(amount) <> 0) t) AS unbalanced,
           (SELECT count(*) FROM ledger_accounts a WHERE a.balance <> (SELECT coalesce(sum(amount), 0) FROM ledger_entries e WHERE e.account_id = a.id)) AS drift`);
  const row = rows[0]!;
  return { entries: Number(row.entries), total: Number(row.total ?? 0), unbalancedTransactions: Number(row.unbalanced), accountsDrifting: Number(row.drift) };
}

const mutate = (client: GraphQLClient, query: string, orderId: string) => client.data(query, { id: orderId });
const CANCEL = `mutation($id: ID!) { cancelOrder(orderId: $id, reason: "changed my mind") { order { id } } }`;
const SHIP = `mutation($id: ID!) { shipFulfilment(orderId: $id, carrier: "DHL", trackingNumber: "JJD0001") { order { id } } }`;
const CONFIRM = `mutation($id: ID!) { confirmDelivery(orderId: $id) { order { id } } }`;

/** Takes one order through the saga to its planned outcome, through the router. */
async function play(order: PlannedOrder): Promise<string> {
  const { id } = await placeOrder(order.buyer, order.lines.map(({ listing, quantity }) => ({ listingId: listing.listingId, quantity })));
  await orderReaches(order.buyer, id, 'AWAITING_PAYMENT', 60_000);
  if (order.outcome === 'CANCELLED') {
    await mutate(order.buyer, CANCEL, id);
    return id;
  }
  await eventually(() => payOrder(order.buyer, id).catch((error: Error) => ({ status: error.message })), (payment) => payment.status === 'SUCCEEDED', 60_000);
  await orderReaches(order.buyer, id, 'PAID', 60_000);
  if (order.outcome === 'REFUNDED') {
    await mutate(order.buyer, CANCEL, id);
    await orderReaches(order.buyer, id, 'REFUNDED', 60_000);
  } else if (order.outcome !== 'PAID') {
    for (const seller of new Set(order.lines.map(({ listing }) => listing.seller))) await mutate(seller.client, SHIP, id);
    await orderReaches(order.buyer, id, 'SHIPPED', 60_000);
    if (order.outcome === 'DELIVERED') await mutate(order.buyer, CONFIRM, id);
  }
  return id;
}

describe('seller payouts', () => {
  let expected: Map<string, { pending: number; available: number }>;

  it('books a random workload across three sellers exactly, and the ledger balances to zero', async () => {
    const next = random(SEED);
    const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
    const buyers = await Promise.all([1, 2, 3, 4].map(() => mintedUser(stack)));
    const plan: PlannedOrder[] = Array.from({ length: ORDERS }, (_, index) => {
      const chosen = [...listings].sort(() => next() - 0.5).slice(0, 1 + Math.floor(next() * 3));
      // Every outcome twice, then at random.
      const outcome = index < 2 * OUTCOMES.length ? OUTCOMES[index % OUTCOMES.length]! : pick(OUTCOMES);
      return { buyer: pick(buyers).client, outcome, lines: chosen.map((listing) => ({ listing, quantity: 1 + Math.floor(next() * 3) })) };
    });

    expected = new Map(sellers.map(({ id }) => [id, { pending: 0, available: 0 }]));
    let commission = 0;
    for (const order of plan) {
      if (order.outcome === 'CANCELLED' || order.outcome === 'REFUNDED') continue;
      const gross = new Map<string, number>();
      for (const { listing, quantity } of order.lines) gross.set(listing.seller.id, (gross.get(listing.seller.id) ?? 0) + listing.price * quantity);
      for (const [sellerId, part] of gross) {
        const net = part - commissionOf(part);
        commission += commissionOf(part);
        const balance = expected.get(sellerId)!;
        if (order.outcome === 'DELIVERED') balance.available += net;
        else balance.pending += net;
      }
    }

    const started = performance.now();
    await Promise.all(plan.map(play));
    // Payments learns of deliveries by events and releases on its own schedule: wait for the exact figures.
    for (const seller of sellers) {
      await expect.poll(async () => eur(await balanceOf(seller.client, seller.id)), { timeout: 60_000, interval: 200 }).toEqual({ ...expected.get(seller.id), paidOut: 0 });
    }
    const settledMs = Math.round(performance.now() - started);

    const totals = await ledgerTotals();
    expect(totals).toMatchObject({ total: 0, unbalancedTransactions: 0, accountsDrifting: 0 });
    const statementEntries = await Promise.all(sellers.map(expectStatementAddsUp));
    const { marketplaceCommission } = await admin.client.data<{ marketplaceCommission: Money[] }>(`{ marketplaceCommission { amount currency } }`);
    expect(marketplaceCommission).toEqual([{ amount: commission, currency: 'EUR' }]);

    const outcomes = Object.fromEntries(OUTCOMES.map((outcome) => [outcome, plan.filter((order) => order.outcome === outcome).length]));
    console.log(
      `[payouts] seed ${SEED}: ${ORDERS} orders ${JSON.stringify(outcomes)} settled in ${settledMs} ms; ledger entries ${totals.entries}, sum of all entries ${totals.total}, ` +
        `unbalanced transactions ${totals.unbalancedTransactions}, accounts drifting from their entries ${totals.accountsDrifting}; statements ${statementEntries.join('/')} entries, each adding up to its balance; ` +
        `commission ${commission} EUR minor units; balances ${JSON.stringify([...expected.values()])}`,
    );
  }, 240_000);

  it('pays each seller once, however many payout runs there are, even concurrent ones', async () => {
    const [first, second] = await Promise.all([admin.client.data<{ runPayouts: { payouts: { amount: Money; seller: { id: string }; reference: string }[] } }>(RUN_PAYOUTS), admin.client.data<{ runPayouts: { payouts: { amount: Money; seller: { id: string }; reference: string }[] } }>(RUN_PAYOUTS)]);
    const third = await admin.client.data<{ runPayouts: { payouts: unknown[] } }>(RUN_PAYOUTS);
    const paid = [...first.runPayouts.payouts, ...second.runPayouts.payouts];
    expect(third.runPayouts.payouts).toEqual([]);
    // The command an operator runs from a shell pays nobody twice either.
    const command = await runCommand(fileURLToPath(new URL('../subgraphs/payments/src/payouts-cli.ts', import.meta.url)), [], { PAYMENTS_DATABASE_URL: stack.databases.payments!.url });
    expect(command.code, command.output).toBe(0);
    expect(command.output).toContain('[payouts] nothing to pay');

    for (const seller of sellers) {
      const owed = expected.get(seller.id)!;
      const theirs = paid.filter((payout) => payout.seller.id === seller.id);
      expect(theirs.map((payout) => payout.amount)).toEqual(owed.available > 0 ? [{ amount: owed.available, currency: 'EUR' }] : []);
      expect(eur(await balanceOf(seller.client, seller.id))).toEqual({ pending: owed.pending, available: 0, paidOut: owed.available });
      const { user } = await seller.client.data<{ user: { payouts: { totalCount: number; edges: { node: { reference: string } }[] } } }>(PAYOUTS, { id: seller.id });
      expect(user.payouts.edges.map(({ node }) => node.reference)).toEqual(theirs.map((payout) => payout.reference));
      await expectStatementAddsUp(seller);
    }
    expect(await ledgerTotals()).toMatchObject({ total: 0, unbalancedTransactions: 0, accountsDrifting: 0 });
    console.log(`[payouts] 3 runs (2 concurrent): ${paid.length} payouts made, totalling ${paid.reduce((sum, payout) => sum + payout.amount.amount, 0)} EUR minor units; the third run paid ${third.runPayouts.payouts.length}`);
  }, 120_000);

  it('shows a seller\'s money to them and admins only', async () => {
    const [owner, other] = sellers as [Actor, Actor, Actor];
    for (const query of [BALANCE, LEDGER, PAYOUTS]) {
      expect(await other.client.errorCodes(query, { id: owner.id })).toEqual(['FORBIDDEN']);
      expect(await stack.client.errorCodes(query, { id: owner.id })).toEqual(['UNAUTHENTICATED']);
      expect(await admin.client.errorCodes(query, { id: owner.id })).toEqual([]);
    }
    expect(await owner.client.errorCodes(RUN_PAYOUTS)).toEqual(['FORBIDDEN']);
    expect(await owner.client.errorCodes(`{ marketplaceCommission { amount } }`)).toEqual(['FORBIDDEN']);
  });

  it('refuses, in the database itself, a ledger transaction that does not balance and any change to an entry', async () => {
    const client = await pool.connect();
    try {
      const [account] = (await client.query<{ id: string; currency: string }>(`SELECT id, currency FROM ledger_accounts LIMIT 1`)).rows;
      await client.query('BEGIN');
      const { rows } = await client.query<{ id: string }>(`INSERT INTO ledger_transactions (id, kind, description) VALUES (gen_random_uuid(), 'SALE', 'unbalanced') RETURNING id`);
      await client.query(`INSERT INTO ledger_entries (id, transaction_id, account_id, amount, currency) VALUES (gen_random_uuid(), $1, $2, 100, $3)`, [rows[0]!.id, account!.id, account!.currency]);
      await expect(client.query('COMMIT')).rejects.toThrow(/does not balance/);
      await expect(client.query(`UPDATE ledger_entries SET amount = amount + 1`)).rejects.toThrow(/append-only/);
    } finally {
      client.release();
    }
    expect(await ledgerTotals()).toMatchObject({ total: 0, unbalancedTransactions: 0 });
  });
});
