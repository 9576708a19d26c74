/**
 * What an operator sees, measured like an operator: every service's /metrics scraped before and
 * after one checkout (the named series move), a poison event raising the dead-letter gauge, each
 * service's /ready naming its database and event transport, and the router's /ready turning 503
 * when a subgraph dies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createTransport } from '@bazaar/events/transports';
import { eventually, startTestStack, type TestStack } from '@bazaar/testing';
import { checkoutOnce } from './checkout-helpers';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
}, 180_000);
afterAll(async () => {
  await stack?.stop();
});

const endpoint = (graphqlUrl: string, path: string) => new URL(path, graphqlUrl).toString();

/** One scrape as `series{labels} → value`. */
async function scrape(graphqlUrl: string): Promise<Map<string, number>> {
  const response = await fetch(endpoint(graphqlUrl, '/metrics'));
  expect(response.status).toBe(200);
  const series = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const at = line.lastIndexOf(' ');
    series.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return series;
}

/** The sum of every sample of `name` whose labels include all of `labels`. */
function total(series: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const [key, value] of series) {
    if (key !== name && !key.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([label, wanted]) => key.includes(`${label}="${wanted}"`))) sum += value;
  }
  return sum;
}

const urls = () => ({ router: stack.routerUrl, ...Object.fromEntries(Object.entries(stack.services).map(([name, service]) => [name, service.url])) });

describe('metrics', () => {
  it('moves the request, event and outbox series of every service along one checkout', async () => {
    const scrapeAll = async () => Object.fromEntries(await Promise.all(Object.entries(urls()).map(async ([name, url]) => [name, await scrape(url)] as const)));
    const before = await scrapeAll();
    await checkoutOnce(stack);
    const movedBy = (after: Record<string, Map<string, number>>) => {
      const moved = (service: string, name: string, labels: Record<string, string> = {}) => total(after[service]!, name, labels) - total(before[service]!, name, labels);
      return {
        'router placeOrder requests': moved('router', 'bazaar_graphql_requests_total', { operation: 'placeOrder', code: 'OK' }),
        'router latency observations': moved('router', 'bazaar_graphql_request_duration_seconds_count'),
        'orders placeOrder requests': moved('orders', 'bazaar_graphql_requests_total', { operation: 'placeOrder' }),
        'payments payOrder requests': moved('payments', 'bazaar_graphql_requests_total', { operation: 'payOrder' }),
        'books OrderPlaced handled': moved('books', 'bazaar_events_total', { type: 'OrderPlaced', outcome: 'handled' }),
        'orders StockReserved handled': moved('orders', 'bazaar_events_total', { type: 'StockReserved', outcome: 'handled' }),
        'payments OrderAwaitingPayment handled': moved('payments', 'bazaar_events_total', { type: 'OrderAwaitingPayment', outcome: 'handled' }),
        'orders PaymentSucceeded handled': moved('orders', 'bazaar_events_total', { type: 'PaymentSucceeded', outcome: 'handled' }),
      } as Record<string, number>;
    };
    // A handler's outcome is counted just after its commit, which is what the checkout observed:
    // on a busy machine the scrape can land in between, so it is repeated until the series move.
    let after = await scrapeAll();
    const figures = await eventually(
      async () => movedBy((after = await scrapeAll())),
      (moved) => Object.values(moved).every((value) => value >= 1),
    );
    console.log('series moved by one checkout:', figures);
    for (const [figure, value] of Object.entries(figures)) expect(value, figure).toBeGreaterThanOrEqual(1);

    for (const [service, series] of Object.entries(after)) {
      if (service === 'router') continue;
      for (const name of ['bazaar_db_pool_connections', 'bazaar_outbox_backlog', 'bazaar_outbox_oldest_unpublished_age_seconds', 'bazaar_dead_letters']) {
        expect([...series.keys()].some((key) => key.startsWith(name)), `${service} ${name}`).toBe(true);
      }
    }
    expect(total(after.orders!, 'bazaar_db_pool_connections', { state: 'total' })).toBeGreaterThan(0);
    expect([...after.books!.keys()].some((key) => key.startsWith('bazaar_consumer_lag{') && key.includes('group="books"'))).toBe(true);
    // Everything the checkout wrote was published: nothing waits in the outbox for long.
    await eventually(async () => total(await scrape(stack.services.orders!.url), 'bazaar_outbox_backlog'), (backlog) => backlog === 0);
  });

  it('counts a refused login attempt in the throttling series', async () => {
    const url = stack.services.users!.url;
    const before = total(await scrape(url), 'bazaar_throttled_total');
    const email = `nobody-${randomUUID()}@example.com`;
    await eventually(
      () => stack.client.request(`mutation($input: LogInInput!) { logIn(input: $input) { user { id } } }`, { input: { email, password: 'wrong password 123' } }),
      (result) => result.errors?.[0]?.extensions?.code === 'TOO_MANY_REQUESTS',
    );
    expect(total(await scrape(url), 'bazaar_throttled_total')).toBeGreaterThan(before);
  });

  it('raises the dead-letter gauge when a poison event is parked', async () => {
    const url = stack.services.payments!.url;
    const before = total(await scrape(url), 'bazaar_dead_letters', { consumer: 'payments' });
    const transport = createTransport(stack.baseEnvironment as never, 'poison-test');
    try {
      await transport.publish([{ topic: 'bazaar.orders', key: randomUUID(), id: randomUUID(), value: 'not an event at all' }]);
    } finally {
      await transport.close();
    }
    const after = await eventually(async () => total(await scrape(url), 'bazaar_dead_letters', { consumer: 'payments' }), (count) => count > before);
    console.log(`payments dead letters: ${before} → ${after}`);
    const parked = await scrape(url);
    expect(total(parked, 'bazaar_events_total', { consumer: 'payments', outcome: 'parked' })).toBeGreaterThanOrEqual(1);
  });
});

describe('readiness', () => {
  it('names the database and the event transport in each service’s /ready', async () => {
    const answer = await fetch(endpoint(stack.services.books!.url, '/ready'));
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ status: 'ready', database: 'ok', eventTransport: 'postgres: reachable', consumerGroups: { books: expect.any(String) } });
  });

  it('turns the router’s /ready to 503 when a subgraph dies, naming it', async () => {
    const ready = await fetch(endpoint(stack.routerUrl, '/ready'));
    expect(ready.status).toBe(200);
    await stack.services.payments!.stop();
    const down = await eventually(() => fetch(endpoint(stack.routerUrl, '/ready')), (response) => response.status === 503);
    expect(await down.json()).toMatchObject({ status: 'unavailable', subgraphs: { payments: 'unavailable', orders: 'ready' } });
  });
});
