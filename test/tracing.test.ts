/**
 * One checkout, one trace: the client's request through the router, the subgraph calls, the
 * outbox rows, the relay's publish and the consumers' handlers in other services, on both event
 * transports (Kafka through librdkafka's mock cluster, as packages/events' Kafka tests use it).
 * Spans go to an in-memory exporter started before any service (vi.hoisted), so the pg and
 * GraphQL instrumentations hook those libraries as they load.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { kafkaMockAvailable, startKafkaMock, type KafkaMock } from '@bazaar/events/kafka-mock';
import { eventually, startTestStack, type TestStack } from '@bazaar/testing';
import { renderTraceTree, serviceOfSpan, type RecordedSpan } from '@bazaar/telemetry/testing';
import { checkoutOnce } from './checkout-helpers';

const recorder = await vi.hoisted(async () => (await import('@bazaar/telemetry/testing')).recordSpansInMemory());

const TOPICS = ['bazaar.users', 'bazaar.catalog', 'bazaar.inventory', 'bazaar.orders', 'bazaar.payments', 'bazaar.reviews'];
const kafka = await kafkaMockAvailable();
if (!kafka.ok) console.warn(`kafka-mock unavailable: ${kafka.reason}`);

/** Every trace a router span for `operationName` began (one per request), with every span's service. */
function tracesOf(operationName: string) {
  return recorder
    .spans()
    .filter((span) => span.attributes['graphql.operation.name'] === operationName && serviceOf(span) === 'router')
    .map((root) => {
      const spans = recorder.trace(root.spanContext().traceId);
      const byId = new Map(spans.map((span) => [span.spanContext().spanId, span]));
      return { root, spans, serviceOf: (span: RecordedSpan) => serviceOfSpan(span, byId) };
    });
}

/** The trace of the first request named `operationName`. */
function traceOf(operationName: string) {
  const [first] = tracesOf(operationName);
  if (!first) throw new Error(`no router span for ${operationName}`);
  return first;
}
const serviceOf = (span: RecordedSpan) => span.attributes['bazaar.service'];

function expectOneTraceAcrossTheSaga() {
  return eventually(
    async () => {
      const placed = traceOf('placeOrder');
      const consumers = placed.spans.filter((span) => span.name.startsWith('consume '));
      return { placed, consumers, services: new Set(placed.spans.map(placed.serviceOf)) };
    },
    ({ placed, consumers }) =>
      consumers.some((span) => span.name === 'consume OrderAwaitingPayment' && serviceOf(span) === 'payments') &&
      placed.spans.some((span) => span.name === 'POST /graphql' && placed.serviceOf(span) === 'router'),
  );
}

describe.each([
  { transport: 'postgres', skip: false },
  { transport: 'kafka', skip: !kafka.ok && !process.env.CI },
])('one checkout, one trace ($transport transport)', ({ transport, skip }) => {
  let stack: TestStack;
  let mock: KafkaMock | undefined;

  beforeAll(async () => {
    if (skip) return;
    recorder.reset();
    const env: Record<string, string> = { EVENT_TRANSPORT: transport };
    if (transport === 'kafka') {
      mock = await startKafkaMock({ topics: TOPICS.map((name) => ({ name, partitions: 2 })) });
      env.KAFKA_BROKERS = mock.brokers.join(',');
    }
    stack = await startTestStack({ env });
  }, 180_000);
  afterAll(async () => {
    await stack?.stop();
    await mock?.stop();
  });

  it.skipIf(skip)('follows placeOrder from the router through orders, books and payments, across events', async () => {
    await checkoutOnce(stack);
    const { placed, services } = await expectOneTraceAcrossTheSaga();
    expect([...services]).toEqual(expect.arrayContaining(['router', 'orders', 'books', 'payments']));
    const names = placed.spans.map((span) => `${span.name} [${placed.serviceOf(span)}]`);
    expect(names).toEqual(
      expect.arrayContaining([
        'POST /graphql [router]',
        'POST /graphql [orders]',
        'outbox OrderPlaced [orders]',
        'publish bazaar.orders [orders]',
        'consume OrderPlaced [books]',
        'outbox StockReserved [books]',
        'consume StockReserved [orders]',
        'consume OrderAwaitingPayment [payments]',
      ]),
    );
    // Every SQL statement of the request is in it too (the pg instrumentation under Prisma).
    expect(placed.spans.some((span) => placed.serviceOf(span) === 'orders' && span.attributes['db.system.name'] === 'postgresql')).toBe(true);

    // Spans are recorded as they end, and a server span ends after its response is on its way: wait for it.
    const paidNames = await eventually(
      async () => {
        const paid = traceOf('payOrder');
        return paid.spans.map((span) => `${span.name} [${paid.serviceOf(span)}]`);
      },
      (spanNames) => spanNames.includes('POST /graphql [router]') && spanNames.includes('consume PaymentSucceeded [orders]'),
    );
    expect(paidNames).toEqual(expect.arrayContaining(['POST /graphql [router]', 'POST /graphql [payments]', 'consume PaymentSucceeded [orders]']));
    if (transport === 'postgres') console.log(`placeOrder, one trace (${placed.spans.length} spans):\n${renderTraceTree(placed.spans)}`);
  });

  it.skipIf(skip || transport !== 'postgres')('shows a passed-through answer (router/src/single-fetch.ts) as one span over its subgraph call', async () => {
    const query = 'query PassThrough { books(first: 2, sort: TITLE) { totalCount } }';
    // The first request plans it (the gateway's path); the second is passed through.
    for (let round = 0; round < 2; round++) await stack.client.data(query);
    const traces = await eventually(
      async () => tracesOf('PassThrough').map((trace) => trace.spans.map((span) => `${span.name} [${trace.serviceOf(span)}]`)),
      (found) => found.length === 2 && found.every((names) => names.includes('POST /graphql [books]')),
    );
    expect(traces.find((names) => names.includes('router.pass_through [router]')), JSON.stringify(traces)).toEqual(
      expect.arrayContaining(['POST /graphql [router]', 'router.pass_through [router]', 'POST /graphql [books]']),
    );
    expect(traces.find((names) => names.includes('gateway.plan [router]')), 'the first request is planned by the gateway').toBeDefined();
  });
});
