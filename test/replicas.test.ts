/*
 * Replicas proven on one machine: two replicas each of books, orders and payments (one books
 * replica a process of its own, killed with SIGKILL midway), two routers behind a round-robin proxy
 * and each subgraph's replicas behind one too, as Services spread traffic in a cluster. A mixed
 * checkout workload runs through it all (sign-ups, orders, payments); then every order settled,
 * stock and money are conserved, no outbox row of a replicated service was published twice, every
 * replica served requests, each consumer group's events were split between its replicas, and no
 * event was applied twice.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadRouterConfig, startRouter, SUBGRAPHS, subgraphUrlVariable } from '@bazaar/router';
import type { RunningService, ServiceModule } from '@bazaar/service';
import { databaseUrlVariable, subgraphNamed, subgraphPortVariable } from '@bazaar/topology';
import { GraphQLClient, listBook, signUpAs, startTestStack, type TestStack } from '@bazaar/testing';
import { asProcesses } from '@bazaar/testing/processes';
import { listingQuantity, orderReaches, payOrder, placeOrder, readOrder } from './checkout-helpers';
import { startRoundRobinProxy, type RoundRobinProxy } from './round-robin-proxy';

const REPLICATED = ['books', 'orders', 'payments'] as const;
const BUYERS = 24;
const COPIES_PER_LISTING = 5;
const LISTINGS = 4;

let stack: TestStack;
const cleanup: Array<() => Promise<unknown>> = [];
let front: GraphQLClient;
/** The books replica that dies: a process of its own, so it can be killed outright. */
const victims = asProcesses();
const proxies: Record<string, RoundRobinProxy> = {};
/** Each second replica connects to its database under this name, so its work can be told apart. */
const SECOND_REPLICA = 'second-replica';

/** The environment of a service's second replica: its own port, the same database under another application name. */
async function secondReplicaEnvironment(name: string, port: number) {
  const environment = stack.environment(name);
  const databaseUrl = new URL(environment[databaseUrlVariable(name)]!);
  databaseUrl.searchParams.set('application_name', SECOND_REPLICA);
  return { ...environment, [subgraphPortVariable(name)]: String(port), [databaseUrlVariable(name)]: databaseUrl.toString() };
}

async function startReplica(name: string): Promise<RunningService> {
  const { service } = (await import(subgraphNamed(name).modulePath)) as { service: ServiceModule };
  return service.start(service.loadConfig(await secondReplicaEnvironment(name, 0)));
}

/**
 * Test instrumentation, not part of any service: every row a consumer commits to processed_events
 * (one per event it applied) is copied, with the application name of the connection that wrote it.
 */
const APPLIED_LOG = `
  CREATE TABLE applied_log (consumer text NOT NULL, event_id uuid NOT NULL, replica text NOT NULL);
  CREATE FUNCTION log_applied() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO applied_log VALUES (NEW.consumer, NEW.event_id, current_setting('application_name'));
    RETURN NEW;
  END $$;
  CREATE TRIGGER log_applied AFTER INSERT ON processed_events FOR EACH ROW EXECUTE FUNCTION log_applied();`;

beforeAll(async () => {
  stack = await startTestStack();
  cleanup.push(() => stack.stop());
  for (const name of REPLICATED) await query(name, APPLIED_LOG);
  const second: Record<string, string> = {};
  for (const name of ['orders', 'payments']) {
    const replica = await startReplica(name);
    cleanup.push(() => replica.stop());
    second[name] = replica.url;
  }
  const booksVictim = await victims.start(subgraphNamed('books'), await secondReplicaEnvironment('books', await victims.port()));
  cleanup.push(() => victims.kill('books'));
  second.books = booksVictim.url;

  for (const name of REPLICATED) {
    proxies[name] = await startRoundRobinProxy([stack.services[name]!.url, second[name]!]);
    cleanup.push(() => proxies[name]!.close());
  }
  const routers: RunningService[] = [];
  for (let index = 0; index < 2; index++) {
    const router = await startRouter(
      loadRouterConfig({
        ...stack.baseEnvironment,
        ROUTER_PORT: '0',
        ...Object.fromEntries(SUBGRAPHS.map(({ name }) => [subgraphUrlVariable(name), proxies[name]?.url ?? stack.services[name]!.url])),
      }),
    );
    cleanup.push(() => router.stop());
    routers.push(router);
  }
  proxies.router = await startRoundRobinProxy(routers.map(({ url }) => url));
  cleanup.push(() => proxies.router!.close());
  front = new GraphQLClient(proxies.router.url);
}, 240_000);

afterAll(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => {});
});

const query = async <T extends Record<string, unknown>>(name: string, sql: string, values: unknown[] = []) => {
  const pool = new pg.Pool({ connectionString: stack.databases[name]!.url, max: 1 });
  try {
    return (await pool.query<T>(sql, values)).rows;
  } finally {
    await pool.end();
  }
};

describe('two replicas of books, orders and payments behind two routers', () => {
  it('settles a mixed checkout workload with a books replica killed midway, conserving stock and money', async () => {
    const { id: sellerId } = await signUpAs(stack, ['BUYER', 'SELLER'], 'Replica Seller');
    // Through the front proxy like everyone else, so both books replicas take the seller's writes.
    const seller = { client: front.withToken(await stack.tokens.issueAccessToken({ id: sellerId, roles: ['BUYER', 'SELLER'] })) };
    const listings: string[] = [];
    for (let index = 0; index < LISTINGS; index++) {
      listings.push((await listBook(seller.client, { title: `Replicated ${index}`, authors: ['Replica Author'] }, { amount: 1250, quantity: COPIES_PER_LISTING, condition: 'NEW' })).listingId);
    }

    // Buyers sign up through the two routers (the issue saw signUp fail here with replicas).
    const buyers = await Promise.all(
      Array.from({ length: BUYERS }, async (_, index) => {
        const { signUp } = await front.data<{ signUp: { user: { id: string }; session: { accessToken: string } } }>(
          `mutation($input: SignUpInput!) { signUp(input: $input) { user { id } session { accessToken } } }`,
          { input: { email: `replica-buyer-${index}-${randomUUID()}@example.com`, password: 'correct horse battery', displayName: `Buyer ${index}` } },
        );
        return front.withToken(signUp.session.accessToken);
      }),
    );

    const placed: Array<{ buyer: GraphQLClient; orderId: string; pay: boolean }> = [];
    let booksReplicaKilled: Promise<void> | undefined;
    await Promise.all(
      buyers.map(async (buyer, index) => {
        const listingId = listings[index % LISTINGS]!;
        const key = randomUUID();
        // Retried with the same idempotency key, as a client does after a failed request.
        const order = await vi.waitFor(() => placeOrder(buyer, [{ listingId, quantity: 1 }], key), { timeout: 60_000, interval: 500 });
        placed.push({ buyer, orderId: order.id, pay: index % 2 === 0 });
        // Midway: a third of the orders are in, the rest are still being placed.
        if (placed.length === Math.floor(BUYERS / 3)) booksReplicaKilled = victims.kill('books');
      }),
    );
    await booksReplicaKilled;

    const settledOrders = await Promise.all(
      placed.map(async ({ buyer, orderId, pay }) => {
        const view = await vi.waitFor(
          async () => {
            const current = await readOrder(buyer, orderId);
            if (current.status === 'PENDING') {
              // What the order waits for, should it never settle: books' answer, or its publication.
              const [reservation] = await query<{ status: string }>('books', `SELECT status FROM stock_reservations WHERE id = $1`, [orderId]);
              const [outbox] = await query<{ unpublished: string }>('books', `SELECT count(*) AS unpublished FROM outbox_events WHERE published_at IS NULL`);
              throw new Error(`order ${orderId} still PENDING (books reservation: ${reservation?.status ?? 'none'}, books outbox unpublished: ${outbox?.unpublished})`);
            }
            return current;
          },
          { timeout: 300_000, interval: 500 },
        );
        if (pay && view.status === 'AWAITING_PAYMENT') {
          const key = randomUUID();
          await vi.waitFor(() => payOrder(buyer, orderId, 'tok_visa', key), { timeout: 60_000, interval: 500 });
          return orderReaches(buyer, orderId, 'PAID', 90_000);
        }
        return view;
      }),
    );

    const count = (status: string) => settledOrders.filter((order) => order.status === status).length;
    const holding = settledOrders.filter((order) => order.status === 'AWAITING_PAYMENT' || order.status === 'PAID');
    let remaining = 0;
    for (const listingId of listings) remaining += await listingQuantity(front, listingId);
    // Stock: every copy is either still listed or held by exactly one order.
    expect(remaining + holding.length).toBe(LISTINGS * COPIES_PER_LISTING);
    expect(count('PENDING')).toBe(0);
    // Money: every paid order's payment equals its total.
    for (const order of settledOrders.filter((candidate) => candidate.status === 'PAID')) expect(order.payment?.amount.amount).toBe(order.total?.amount);
    const [payments] = (await query<{ n: string; total: string }>('payments', `SELECT count(*) AS n, coalesce(sum(amount), 0)::text AS total FROM payments WHERE status = 'SUCCEEDED'`)) as [{ n: string; total: string }];
    const paidTotal = settledOrders.filter((order) => order.status === 'PAID').reduce((sum, order) => sum + (order.total?.amount ?? 0), 0);
    expect([Number(payments.n), Number(payments.total)]).toEqual([count('PAID'), paidTotal]);

    // Each outbox row of orders and payments (replicas never killed) went out once.
    const duplicates: Record<string, number> = {};
    for (const name of ['orders', 'payments']) {
      const [{ pending }] = (await query<{ pending: string }>(name, 'SELECT count(*) AS pending FROM outbox_events WHERE published_at IS NULL')) as [{ pending: string }];
      expect(Number(pending), `${name} outbox fully published`).toBe(0);
      const [{ twice }] = (await query<{ twice: string }>(name, 'SELECT count(*) AS twice FROM outbox_events WHERE attempts > 1')) as [{ twice: string }];
      duplicates[name] = Number(twice);
    }
    expect(duplicates).toEqual({ orders: 0, payments: 0 });

    // Each consumer group's events, by the replica that applied them; none applied twice.
    const appliedBy: Record<string, Record<string, number>> = {};
    for (const name of REPLICATED) {
      const applied = await query<{ replica: string; n: string }>(
        name,
        `SELECT CASE replica WHEN $1 THEN 'second' ELSE 'first' END AS replica, count(*) AS n FROM applied_log GROUP BY 1 ORDER BY 1`,
        [SECOND_REPLICA],
      );
      appliedBy[name] = Object.fromEntries(applied.map(({ replica, n }) => [replica, Number(n)]));
      const twice = await query(name, `SELECT consumer, event_id FROM applied_log GROUP BY 1, 2 HAVING count(*) > 1`);
      expect(twice, `${name}: events applied more than once`).toEqual([]);
    }

    const answered = Object.fromEntries(Object.entries(proxies).map(([name, proxy]) => [name, [...proxy.answered.values()]]));
    console.log(
      `replicas: ${placed.length} orders (${count('PAID')} paid, ${count('AWAITING_PAYMENT')} awaiting payment, ${count('REJECTED')} rejected), ` +
        `stock ${remaining} left + ${holding.length} held = ${LISTINGS * COPIES_PER_LISTING}; outbox rows published twice: ${JSON.stringify(duplicates)}; ` +
        `requests per replica: ${JSON.stringify(answered)}; succeeded payments ${payments.n} for ${payments.total} = paid order totals ${paidTotal}; ` +
        `events applied per replica (books' second one killed midway): ${JSON.stringify(appliedBy)}, none twice`,
    );
    // Replicas that lived through the run shared their consumer group's events.
    for (const name of ['orders', 'payments']) expect(appliedBy[name], `${name}'s consumer group split across its replicas`).toEqual({ first: expect.any(Number), second: expect.any(Number) });
    for (const name of ['orders', 'payments']) expect(Math.min(appliedBy[name]!.first!, appliedBy[name]!.second!), name).toBeGreaterThan(0);
    for (const name of [...REPLICATED, 'router']) expect(proxies[name]!.answered.size, name).toBe(2);
    for (const [name, counts] of Object.entries(answered)) expect(counts.every((n) => n > 0), `${name} replicas all served requests`).toBe(true);
  }, 600_000);
});
