import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createEnvelope, type EventDefinition, type EventTransport } from '@bazaar/events';
import { StockReserved } from '@bazaar/contracts/books';
import { PaymentSucceeded } from '@bazaar/contracts/payments';
import { createTransport } from '@bazaar/events/transports';
import { settled, startTestStack, type Actor, type GraphQLClient, type TestStack } from '@bazaar/testing';

/**
 * One test file's world: users and orders behind the router. The tests play books (StockReserved /
 * StockRejected) and payments (PaymentSucceeded / PaymentFailed / PaymentRefunded) by publishing
 * their events; books is left out so its own reaction to OrderPlaced cannot race them.
 */
export interface OrdersWorld {
  stack: TestStack;
  pool: pg.Pool;
  transport: EventTransport;
  stop(): Promise<void>;
}

export async function startOrdersWorld(env: Record<string, string> = {}): Promise<OrdersWorld> {
  const stack = await startTestStack({ subgraphs: ['users', 'orders'], env });
  const pool = new pg.Pool({ connectionString: stack.databases.orders!.url });
  const transport = createTransport({ EVENT_TRANSPORT: 'postgres', EVENTS_DATABASE_URL: stack.eventsDatabase.url }, 'orders-test');
  return {
    stack,
    pool,
    transport,
    async stop() {
      await transport.close();
      await pool.end();
      await stack.stop();
    },
  };
}

/** Publishes one envelope as books or payments would, `times` times over (the same envelope: a redelivery). */
export async function publish<Data>(world: OrdersWorld, definition: EventDefinition<string, Data>, key: string, data: Data, times = 1) {
  const envelope = createEnvelope(definition, { source: 'test', key, data });
  const message = { topic: definition.topic, key, id: envelope.id, value: JSON.stringify(envelope) };
  for (let time = 0; time < times; time++) await world.transport.publish([message]);
  return envelope;
}

export const ADDRESS = { name: 'Ada Buyer', line1: '1 Library Lane', postalCode: '10115', city: 'Berlin', country: 'de' };

const ORDER_FIELDS = /* GraphQL */ `
  id status createdAt expiresAt paymentFailureReason
  buyer { id }
  total { amount currency }
  lines { listing { id } book { id } seller { id } quantity unitPrice { amount currency } lineTotal { amount currency } }
  statusHistory { status at reason }
  fulfilments { seller { id } status carrier trackingNumber shippedAt deliveredAt }
  rejectionReasons { listing { id } reason available }
  shippingAddress { name line1 line2 postalCode city country }
`;

export interface OrderShape {
  id: string;
  status: string;
  createdAt: string;
  expiresAt: string;
  paymentFailureReason: string | null;
  buyer: { id: string };
  total: { amount: number; currency: string } | null;
  lines: { listing: { id: string }; book: { id: string } | null; seller: { id: string } | null; quantity: number; unitPrice: { amount: number } | null; lineTotal: { amount: number } | null }[];
  statusHistory: { status: string; at: string; reason: string | null }[];
  fulfilments: { seller: { id: string }; status: string; carrier: string | null; trackingNumber: string | null; shippedAt: string | null; deliveredAt: string | null }[];
  rejectionReasons: { listing: { id: string }; reason: string; available: number }[];
  shippingAddress: Record<string, string | null>;
}

export const PLACE = `mutation($input: PlaceOrderInput!, $key: String!) { placeOrder(input: $input, idempotencyKey: $key) { order { ${ORDER_FIELDS} } } }`;
/** placeOrder answering once the catalog decided (or its wait ran out). */
export const PLACE_AWAITING_STOCK = `mutation($input: PlaceOrderInput!, $key: String!) { placeOrder(input: $input, idempotencyKey: $key, awaitStock: true) { order { ${ORDER_FIELDS} } } }`;
export const ORDER = `query($id: ID!) { order(id: $id) { ${ORDER_FIELDS} } }`;
export const CANCEL = `mutation($id: ID!, $reason: String) { cancelOrder(orderId: $id, reason: $reason) { order { ${ORDER_FIELDS} } } }`;
export const SHIP = `mutation($id: ID!, $carrier: String!, $tracking: String!) { shipFulfilment(orderId: $id, carrier: $carrier, trackingNumber: $tracking) { order { ${ORDER_FIELDS} } } }`;
export const CONFIRM = `mutation($id: ID!) { confirmDelivery(orderId: $id) { order { ${ORDER_FIELDS} } } }`;

export const newKey = () => randomUUID();

export async function placeOrder(buyer: Actor, items: { listingId: string; quantity: number }[], key = newKey()): Promise<OrderShape> {
  const { placeOrder: payload } = await buyer.client.data<{ placeOrder: { order: OrderShape } }>(PLACE, { input: { items, shippingAddress: ADDRESS }, key });
  return payload.order;
}

export const readOrder = async (client: GraphQLClient, id: string) => (await client.data<{ order: OrderShape }>(ORDER, { id })).order;

/** Waits until the buyer sees the order in `status`. */
export async function waitForStatus(client: GraphQLClient, id: string, status: string): Promise<OrderShape> {
  return settled(
    () => readOrder(client, id),
    (value) => value.status === status,
    (last) => `order ${id} never became ${status}: it is ${last.status}`,
  );
}

export interface OutboxRow {
  type: string;
  data: Record<string, unknown>;
}

/** The events orders wrote for an order (its outbox rows), oldest first. */
export async function eventsOf(world: OrdersWorld, orderId: string, type?: string): Promise<OutboxRow[]> {
  const { rows } = await world.pool.query<{ type: string; envelope: { data: Record<string, unknown> } }>(
    'SELECT type, envelope FROM outbox_events WHERE key = $1 AND ($2::text IS NULL OR type = $2) ORDER BY position',
    [orderId, type ?? null],
  );
  return rows.map(({ type: eventType, envelope }) => ({ type: eventType, data: envelope.data }));
}

export const processedCount = async (world: OrdersWorld, eventId: string) =>
  Number((await world.pool.query<{ n: string }>('SELECT count(*) AS n FROM processed_events WHERE event_id = $1', [eventId])).rows[0]!.n);

export interface PricedLine {
  listingId: string;
  sellerId: string;
  quantity: number;
  amount: number;
  bookId?: string;
}

/** Plays books: reserves the order's lines at these prices. */
export function reserve(world: OrdersWorld, orderId: string, lines: PricedLine[], times = 1) {
  const priced = lines.map((line) => ({
    listingId: line.listingId,
    bookId: line.bookId ?? `book-${line.listingId}`,
    sellerId: line.sellerId,
    quantity: line.quantity,
    unitPrice: { amount: line.amount, currency: 'EUR' },
  }));
  const total = { amount: lines.reduce((sum, line) => sum + line.amount * line.quantity, 0), currency: 'EUR' };
  return publish(world, StockReserved, orderId, { orderId, reservationId: orderId, lines: priced, total }, times);
}

/** Plays payments: the charge for the order was captured. */
export function paymentSucceeded(world: OrdersWorld, orderId: string, amount: number, options: { paymentId?: string; times?: number } = {}) {
  return publish(
    world,
    PaymentSucceeded,
    orderId,
    { paymentId: options.paymentId ?? randomUUID(), orderId, amount: { amount, currency: 'EUR' }, paidAt: new Date().toISOString() },
    options.times ?? 1,
  );
}

/** Places an order of these priced lines and plays books reserving it; returns it AWAITING_PAYMENT. */
export async function reservedOrder(world: OrdersWorld, buyer: Actor, lines: PricedLine[]): Promise<OrderShape> {
  const placed = await placeOrder(buyer, lines.map(({ listingId, quantity }) => ({ listingId, quantity })));
  await reserve(world, placed.id, lines);
  return waitForStatus(buyer.client, placed.id, 'AWAITING_PAYMENT');
}

/** …and plays payments capturing it; returns it PAID. */
export async function paidOrder(world: OrdersWorld, buyer: Actor, lines: PricedLine[], paymentId = randomUUID()): Promise<OrderShape> {
  const order = await reservedOrder(world, buyer, lines);
  await paymentSucceeded(world, order.id, order.total!.amount, { paymentId });
  return waitForStatus(buyer.client, order.id, 'PAID');
}

export const listing = () => `listing-${randomUUID()}`;
