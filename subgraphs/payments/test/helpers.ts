import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createEnvelope, envelopeSchema, type Envelope, type EventDefinition, type EventTransport, type Subscription } from '@bazaar/events';
import { OrderAwaitingPayment, OrderCancelled, OrderPaid, OrderPaymentRejected } from '@bazaar/contracts/orders';
import { PaymentAuthorized } from '@bazaar/contracts/payments';
import { createTransport } from '@bazaar/events/transports';
import { expect } from 'vitest';
import type { RunningService } from '@bazaar/service';
import { eventually, GraphQLClient, secondInstanceEnvironment, signUpAs, startTestStack, type TestStack } from '@bazaar/testing';
import { loadPaymentsConfig, startPaymentsService } from '../src/index';

/** The stack every payments test file runs: users (tokens, keys) and payments behind the router. */
export interface PaymentsWorld {
  stack: TestStack;
  pool: pg.Pool;
  transport: EventTransport;
  /** What the orders stand-in knows: an order awaiting payment, cancelled, or paid by a payment. */
  orders: Map<string, { status: 'AWAITING_PAYMENT' | 'CANCELLED' | 'PAID'; buyerId: string; paymentId?: string }>;
  stop(): Promise<void>;
}

export interface PaymentsBuyer {
  id: string;
  client: GraphQLClient;
  /** For calls straight to a payments instance. */
  token: string;
}

/** A payments world and one buyer signed up in it, as most test files start. */
export async function startPaymentsWorldWithBuyer(env: Record<string, string> = {}): Promise<{ world: PaymentsWorld; buyer: PaymentsBuyer }> {
  const world = await startPaymentsWorld(env);
  const signedUp = await signUpAs(world.stack);
  return { world, buyer: { ...signedUp, token: await world.stack.tokens.issueAccessToken({ id: signedUp.id, roles: ['BUYER'] }) } };
}

async function startPaymentsWorld(env: Record<string, string> = {}): Promise<PaymentsWorld> {
  // tok_timeout answers after 300 ms here instead of seconds.
  const stack = await startTestStack({ subgraphs: ['users', 'payments'], env: { PAYMENTS_PROVIDER_TIMEOUT_MS: '300', PAYMENTS_IDEMPOTENCY_LEASE_MS: '2000', PAYMENTS_ORDER_WAIT_MS: '1000', ...env } });
  const pool = new pg.Pool({ connectionString: stack.databases.payments!.url });
  const transport = createTransport({ EVENT_TRANSPORT: 'postgres', EVENTS_DATABASE_URL: stack.eventsDatabase.url }, 'payments-test');
  const orders: PaymentsWorld['orders'] = new Map();
  const standIn = await standInForOrders(transport, orders);
  return {
    stack,
    pool,
    transport,
    orders,
    async stop() {
      await standIn.stop();
      await transport.close();
      await pool.end();
      await stack.stop();
    },
  };
}

/** Publishes an event as the orders service would, `times` times over. */
async function publish<Data>(transport: EventTransport, definition: EventDefinition<string, Data>, key: string, data: Data, times = 1): Promise<Envelope<Data>> {
  const envelope = createEnvelope(definition, { source: 'test', key, data });
  const message = { topic: definition.topic, key, id: envelope.id, value: JSON.stringify(envelope) };
  for (let time = 0; time < times; time++) await transport.publish([message]);
  return envelope;
}

/**
 * Plays the orders service's answer to PaymentAuthorized (these tests run payments without orders):
 * an order awaiting payment accepts the first authorised payment (OrderPaid with its id); anything
 * else is rejected (OrderPaymentRejected).
 */
async function standInForOrders(transport: EventTransport, orders: PaymentsWorld['orders']): Promise<Subscription> {
  return transport.subscribe({
    group: 'orders-stand-in',
    topics: [PaymentAuthorized.topic],
    handle: async (message) => {
      const envelope = envelopeSchema.parse(JSON.parse(message.value));
      if (envelope.type !== PaymentAuthorized.type) return;
      const { orderId, paymentId } = PaymentAuthorized.data.parse(envelope.data);
      const order = orders.get(orderId);
      if (order?.status === 'PAID' && order.paymentId === paymentId) return;
      if (order?.status !== 'AWAITING_PAYMENT') {
        await publish(transport, OrderPaymentRejected, orderId, { orderId, paymentId, reason: `The order is ${order?.status ?? 'unknown'}.`, rejectedAt: new Date().toISOString() });
        return;
      }
      orders.set(orderId, { ...order, status: 'PAID', paymentId });
      await publish(transport, OrderPaid, orderId, {
        orderId,
        buyerId: order.buyerId,
        paymentId,
        paidAt: new Date().toISOString(),
        lines: [{ listingId: 'listing-1', bookId: 'book-1', quantity: 1 }],
      });
    },
  });
}

/** Plays the orders service: an order of `buyerId` awaiting payment of `amount`, once payments knows it. */
export async function awaitingPayment(world: PaymentsWorld, buyerId: string, amount = 2599, expiresInMs = 15 * 60_000): Promise<string> {
  const orderId = randomUUID();
  world.orders.set(orderId, { status: 'AWAITING_PAYMENT', buyerId });
  await publish(world.transport, OrderAwaitingPayment, orderId, {
    orderId,
    buyerId,
    total: { amount, currency: 'EUR' },
    expiresAt: new Date(Date.now() + expiresInMs).toISOString(),
  });
  await eventually(
    async () => (await world.pool.query('SELECT 1 FROM payable_orders WHERE id = $1', [orderId])).rowCount,
    (count) => count === 1,
  );
  return orderId;
}

export async function cancelOrder(world: PaymentsWorld, orderId: string, buyerId: string, times = 1) {
  world.orders.set(orderId, { status: 'CANCELLED', buyerId });
  return publish(
    world.transport,
    OrderCancelled,
    orderId,
    { orderId, buyerId, outcome: 'CANCELLED', reason: 'changed my mind', stockCommitted: true, lines: [{ listingId: 'listing-1', quantity: 1 }], cancelledAt: new Date().toISOString() },
    times,
  );
}

export const PAYMENT_FIELDS = /* GraphQL */ `
  id status failureCode failureReason createdAt
  order { id }
  amount { amount currency }
  refundedAmount { amount currency }
  transactions { kind amount { amount currency } providerReference createdAt }
`;

export interface PaymentShape {
  id: string;
  status: string;
  failureCode: string | null;
  failureReason: string | null;
  createdAt: string;
  order: { id: string };
  amount: { amount: number; currency: string };
  refundedAmount: { amount: number; currency: string };
  transactions: { kind: string; amount: { amount: number; currency: string }; providerReference: string; createdAt: string }[];
}

export const PAY = `mutation($input: PayOrderInput!) { payOrder(input: $input) { payment { ${PAYMENT_FIELDS} } } }`;

export async function pay(client: GraphQLClient, orderId: string, paymentMethodToken: string, idempotencyKey: string = randomUUID()): Promise<PaymentShape> {
  const { payOrder } = await client.data<{ payOrder: { payment: PaymentShape } }>(PAY, { input: { orderId, paymentMethodToken, idempotencyKey } });
  return payOrder.payment;
}

/** Captures the test-mode provider made for an order's payments (money actually taken). */
export async function providerCharges(pool: pg.Pool, orderId: string): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM provider_charges c JOIN payments p ON c.idempotency_key = 'capture_' || p.id
     WHERE p.order_id = $1 AND c.kind = 'CAPTURE'`,
    [orderId],
  );
  return Number(rows[0]!.n);
}

/** Successful authorizations (money held) the test-mode provider made for an order's payments. */
export async function providerAuthorizations(pool: pg.Pool, orderId: string): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM provider_charges c JOIN payments p ON c.idempotency_key = 'payment_' || p.id
     WHERE p.order_id = $1 AND c.kind = 'AUTHORIZATION' AND c.outcome = 'SUCCEEDED'`,
    [orderId],
  );
  return Number(rows[0]!.n);
}

/** The events payments wrote for an order (its outbox), oldest first. */
export async function outboxEvents(pool: pg.Pool, orderId: string): Promise<{ type: string; data: Record<string, unknown> }[]> {
  const { rows } = await pool.query<{ type: string; envelope: { data: Record<string, unknown> } }>(
    'SELECT type, envelope FROM outbox_events WHERE key = $1 ORDER BY position',
    [orderId],
  );
  return rows.map((row) => ({ type: row.type, data: row.envelope.data }));
}

export const count = async (pool: pg.Pool, sql: string, values: unknown[] = []) => Number((await pool.query<{ n: string }>(sql, values)).rows[0]!.n);

/** Pays through a second instance on the same database whose request "dies" right after the provider answered. */
export async function payAndCrash(world: PaymentsWorld, buyerToken: string, orderId: string, key: string) {
  let crashes = 1;
  const crashing: RunningService = await startPaymentsService(
    loadPaymentsConfig(secondInstanceEnvironment(world.stack, 'payments', { HOST: '127.0.0.1', EVENT_TRANSPORT: 'postgres' })),
    {
      consume: false,
      afterProviderCall: () => {
        if (crashes-- > 0) throw new Error('simulated crash after the provider call');
      },
    },
  );
  try {
    const direct = new GraphQLClient(crashing.url, buyerToken);
    expect(await direct.errorCodes(PAY, { input: { orderId, paymentMethodToken: 'tok_visa', idempotencyKey: key } })).toEqual(['INTERNAL_SERVER_ERROR']);
  } finally {
    await crashing.stop();
  }
}
