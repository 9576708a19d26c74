/*
 * Replicas proven on one machine: two replicas each of books, orders and payments (one books
 * replica a process of its own, killed with SIGKILL midway), two routers behind a round-robin proxy
 * and each subgraph's replicas behind one too, as Services spread traffic in a cluster. A mixed
 * checkout workload runs through it all (sign-ups, orders, payments); then every order settled,
 * stock and money are conserved (so no event was applied twice), no outbox row of a replicated
 * service was published twice, and every replica served requests.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadRouterConfig, startRouter, SUBGRAPHS, subgraphUrlVariable } from '@bazaar/router';
import type { RunningService, ServiceModule } from '@bazaar/service';
import { GraphQLClient, listBook, signUpAs, startTestStack, type TestStack } from '@bazaar/testing';
import { freePort } from '../packages/devstack/src/launch';
import { listingQuantity, orderReaches, payOrder, placeOrder, readOrder } from './checkout-helpers';
import { startRoundRobinProxy, type RoundRobinProxy } from './round-robin-proxy';

const REPLICATED = ['books', 'orders', 'payments'] as const;
const BUYERS = 24;
const COPIES_PER_LISTING = 5;
const LISTINGS = 4;

let stack: TestStack;
const cleanup: Array<() => Promise<unknown>> = [];
let front: GraphQLClient;
let booksVictim: ReturnType<typeof spawn>;
const proxies: Record<string, RoundRobinProxy> = {};

async function startReplica(name: string): Promise<RunningService> {
  const definition = SUBGRAPHS.find((candidate) => candidate.name === name)!;
  const { service } = (await import(definition.modulePath)) as { service: ServiceModule };
  return service.start(service.loadConfig({ ...stack.environment(name), [`${name.toUpperCase()}_PORT`]: '0' }));
}

beforeAll(async () => {
  stack = await startTestStack();
  cleanup.push(() => stack.stop());
  const second: Record<string, string> = {};
  for (const name of ['orders', 'payments']) {
    const replica = await startReplica(name);
    cleanup.push(() => replica.stop());
    second[name] = replica.url;
  }
  // The books replica that dies: a process of its own, so it can be killed outright.
  const port = await freePort();
  booksVictim = spawn(process.execPath, ['--import', 'tsx', SUBGRAPHS.find(({ name }) => name === 'books')!.mainPath], {
    env: { ...process.env, ...stack.environment('books'), BOOKS_PORT: port },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  cleanup.push(async () => void booksVictim.kill('SIGKILL'));
  second.books = `http://127.0.0.1:${port}/graphql`;
  await vi.waitFor(async () => expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(200), { timeout: 120_000, interval: 250 });

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
    await Promise.all(
      buyers.map(async (buyer, index) => {
        if (index === Math.floor(BUYERS / 3)) booksVictim.kill('SIGKILL');
        const listingId = listings[index % LISTINGS]!;
        const key = randomUUID();
        // Retried with the same idempotency key, as a client does after a failed request.
        const order = await vi.waitFor(() => placeOrder(buyer, [{ listingId, quantity: 1 }], key), { timeout: 60_000, interval: 500 });
        placed.push({ buyer, orderId: order.id, pay: index % 2 === 0 });
      }),
    );
    expect(booksVictim.signalCode).toBe('SIGKILL');

    const settledOrders = await Promise.all(
      placed.map(async ({ buyer, orderId, pay }) => {
        const view = await vi.waitFor(
          async () => {
            const current = await readOrder(buyer, orderId);
            expect(current.status).not.toBe('PENDING');
            return current;
          },
          { timeout: 90_000, interval: 250 },
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

    const answered = Object.fromEntries(Object.entries(proxies).map(([name, proxy]) => [name, [...proxy.answered.values()]]));
    console.log(
      `replicas: ${placed.length} orders (${count('PAID')} paid, ${count('AWAITING_PAYMENT')} awaiting payment, ${count('REJECTED')} rejected), ` +
        `stock ${remaining} left + ${holding.length} held = ${LISTINGS * COPIES_PER_LISTING}; outbox rows published twice: ${JSON.stringify(duplicates)}; ` +
        `requests per replica: ${JSON.stringify(answered)}; succeeded payments ${payments.n} for ${payments.total} = paid order totals ${paidTotal}`,
    );
    for (const name of [...REPLICATED, 'router']) expect(proxies[name]!.answered.size, name).toBe(2);
    for (const [name, counts] of Object.entries(answered)) expect(counts.every((n) => n > 0), `${name} replicas all served requests`).toBe(true);
  }, 600_000);
});
