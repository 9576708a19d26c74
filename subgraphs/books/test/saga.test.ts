import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnvelope, createOutbox, type EventConsumer, type EventDefinition, type EventTransport } from '@bazaar/events';
import { OrderCancelled, OrderPaid, OrderPlaced } from '@bazaar/contracts/orders';
import { createTransport } from '@bazaar/events/transports';
import { createBook, createListing, eventually, signUpAs, startTestStack, type GraphQLClient, type TestStack } from '@bazaar/testing';
import { createServiceConsumer } from '@bazaar/bootstrap';
import type { RawSql } from '@bazaar/service';
import { registerSagaHandlers } from '../src/domain/event-handlers';

/**
 * Books' side of the checkout saga, end to end: orders' events are published on the real Postgres
 * transport, the running books service consumes them, and its answers (StockReserved /
 * StockRejected) are read from its outbox.
 */
let stack: TestStack;
let pool: pg.Pool;
let transport: EventTransport;
let seller: GraphQLClient;
let sellerId: string;
const buyerId: string = randomUUID();

beforeAll(async () => {
  stack = await startTestStack({ subgraphs: ['users', 'books'] });
  pool = new pg.Pool({ connectionString: stack.databases.books!.url, max: 4 });
  transport = createTransport({ EVENT_TRANSPORT: 'postgres', EVENTS_DATABASE_URL: stack.eventsDatabase.url }, 'test');
  const signedUp = await signUpAs(stack, ['BUYER', 'SELLER']);
  seller = signedUp.client;
  sellerId = signedUp.id;
});
afterAll(async () => {
  await transport?.close();
  await pool?.end();
  await stack?.stop();
});

type Line = { listingId: string; quantity: number };
interface Answer {
  type: 'StockReserved' | 'StockRejected';
  data: {
    orderId: string;
    reservationId?: string;
    lines?: { listingId: string; bookId: string; sellerId: string; quantity: number; unitPrice: { amount: number; currency: string } }[];
    total?: { amount: number; currency: string };
    reasons?: { listingId: string; reason: string; available: number }[];
  };
}

async function publish<Data>(definition: EventDefinition<string, Data>, orderId: string, data: Data, id?: string) {
  const envelope = createEnvelope(definition, { source: 'orders', key: orderId, data, ...(id ? { id } : {}) });
  await transport.publish([{ topic: definition.topic, key: orderId, id: envelope.id, value: JSON.stringify(envelope) }]);
  return envelope;
}

const placed = (orderId: string, lines: Line[], buyer = buyerId) => ({
  orderId,
  buyerId: buyer,
  lines,
  placedAt: new Date().toISOString(),
  expiresAt: new Date(Date.now() + 15 * 60_000).toISOString(),
});

async function answersFor(orderIds: string[]): Promise<Answer[]> {
  const { rows } = await pool.query<{ type: Answer['type']; data: Answer['data'] }>(
    `SELECT type, envelope->'data' AS data FROM outbox_events
      WHERE key = ANY($1::text[]) AND type IN ('StockReserved', 'StockRejected') ORDER BY position`,
    [orderIds],
  );
  return rows;
}

async function answerTo(orderId: string): Promise<Answer> {
  const answers = await eventually(() => answersFor([orderId]), (found) => found.length > 0);
  expect(answers).toHaveLength(1);
  return answers[0]!;
}

/** Waits until books has recorded the event as processed. */
async function processed(eventId: string): Promise<void> {
  const rows = await eventually(
    async () => (await pool.query('SELECT 1 FROM processed_events WHERE consumer = $1 AND event_id = $2', ['books', eventId])).rowCount,
    (count) => count === 1,
  );
  expect(rows).toBe(1);
}

async function listingState(id: string) {
  const { rows } = await pool.query<{ quantity: number; status: string }>('SELECT quantity, status::text AS status FROM listings WHERE id = $1', [id]);
  return rows[0]!;
}

async function reservationStatus(id: string) {
  const { rows } = await pool.query<{ status: string }>('SELECT status::text AS status FROM stock_reservations WHERE id = $1', [id]);
  return rows[0]?.status;
}

let books = 0;
async function newListing(quantity: number, amount = 1000, currency = 'EUR', client = seller) {
  const book = await createBook(client, { title: `Saga ${process.pid}-${++books}`, authors: ['Saga Tester'] });
  return { ...(await createListing(client, book.id, { amount, currency, quantity })), bookId: book.id };
}

describe('OrderPlaced', () => {
  it('reserves every line at the catalog prices and answers StockReserved with the total', async () => {
    const a = await newListing(5, 1250);
    const b = await newListing(2, 899);
    const orderId = randomUUID();
    await publish(OrderPlaced, orderId, placed(orderId, [{ listingId: a.id, quantity: 2 }, { listingId: b.id, quantity: 1 }]));
    const answer = await answerTo(orderId);
    expect(answer.type).toBe('StockReserved');
    expect(answer.data.reservationId).toBe(orderId);
    expect(answer.data.total).toEqual({ amount: 2 * 1250 + 899, currency: 'EUR' });
    expect(answer.data.lines).toEqual(
      expect.arrayContaining([
        { listingId: a.id, bookId: a.bookId, sellerId, quantity: 2, unitPrice: { amount: 1250, currency: 'EUR' } },
        { listingId: b.id, bookId: b.bookId, sellerId, quantity: 1, unitPrice: { amount: 899, currency: 'EUR' } },
      ]),
    );
    expect(await listingState(a.id)).toEqual({ quantity: 3, status: 'ACTIVE' });
    expect(await listingState(b.id)).toEqual({ quantity: 1, status: 'ACTIVE' });
    expect(await reservationStatus(orderId)).toBe('RESERVED');
  });

  it('rejects the whole order, naming each offending line, and reserves nothing', async () => {
    const plenty = await newListing(5);
    const scarce = await newListing(1);
    const paused = await newListing(3);
    await seller.data('mutation($id: ID!) { pauseListing(id: $id) { listing { id } } }', { id: paused.id });
    const dollars = await newListing(4, 1500, 'USD');
    const missing = '0190a1c4-0000-7000-8000-000000000000';
    const orderId = randomUUID();
    await publish(
      OrderPlaced,
      orderId,
      placed(orderId, [
        { listingId: plenty.id, quantity: 2 },
        { listingId: scarce.id, quantity: 2 },
        { listingId: paused.id, quantity: 1 },
        { listingId: dollars.id, quantity: 1 },
        { listingId: missing, quantity: 1 },
        { listingId: 'not-a-uuid', quantity: 1 },
      ]),
    );
    const answer = await answerTo(orderId);
    expect(answer.type).toBe('StockRejected');
    expect(answer.data.reasons).toEqual(
      expect.arrayContaining([
        { listingId: scarce.id, reason: 'INSUFFICIENT_STOCK', available: 1 },
        { listingId: paused.id, reason: 'NOT_ACTIVE', available: 0 },
        { listingId: dollars.id, reason: 'MIXED_CURRENCIES', available: 4 },
        { listingId: missing, reason: 'NOT_FOUND', available: 0 },
        { listingId: 'not-a-uuid', reason: 'NOT_FOUND', available: 0 },
      ]),
    );
    expect(answer.data.reasons).toHaveLength(5);
    expect((await listingState(plenty.id)).quantity).toBe(5);
    expect((await listingState(scarce.id)).quantity).toBe(1);
    expect((await listingState(dollars.id)).quantity).toBe(4);
    expect(await reservationStatus(orderId)).toBeUndefined();
  });

  it("refuses the buyer's own listing", async () => {
    const own = await newListing(3);
    const orderId = randomUUID();
    await publish(OrderPlaced, orderId, placed(orderId, [{ listingId: own.id, quantity: 1 }], sellerId));
    expect((await answerTo(orderId)).data.reasons).toEqual([{ listingId: own.id, reason: 'OWN_LISTING', available: 3 }]);
    expect((await listingState(own.id)).quantity).toBe(3);
  });

  it('reserves once when the same OrderPlaced arrives twice, or the order is placed again', async () => {
    const listing = await newListing(5);
    const orderId = randomUUID();
    const first = await publish(OrderPlaced, orderId, placed(orderId, [{ listingId: listing.id, quantity: 2 }]));
    await processed(first.id);
    // The very same event again (a relay that published twice): dropped by processed_events.
    await publish(OrderPlaced, orderId, first.data, first.id);
    // The same order under a new event id: reserveStock finds the reservation and answers the same.
    const again = await publish(OrderPlaced, orderId, placed(orderId, [{ listingId: listing.id, quantity: 2 }]));
    await processed(again.id);
    const answers = await answersFor([orderId]);
    expect(answers.map(({ type }) => type)).toEqual(['StockReserved', 'StockReserved']);
    expect(answers[1]!.data).toEqual(answers[0]!.data);
    expect((await listingState(listing.id)).quantity).toBe(3);
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM outbox_events WHERE type = 'ListingStockChanged' AND key = $1`, [listing.id]);
    expect(rows[0].n).toBe(1);
  });
});

describe('concurrency', () => {
  it('gives the last 3 copies to exactly 3 of 50 orders placed at once', async () => {
    // Extra members of the `books` group (as other books instances would be), so different orders
    // really are handled at the same time: one member handles one message at a time.
    const members: { consumer: EventConsumer<RawSql>; pool: pg.Pool; transport: EventTransport }[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const silent = { info() {}, warn() {}, error() {} };
    for (let i = 0; i < 3; i++) {
      const memberPool = new pg.Pool({ connectionString: stack.databases.books!.url });
      const memberTransport = createTransport({ EVENT_TRANSPORT: 'postgres', EVENTS_DATABASE_URL: stack.eventsDatabase.url }, `test-member-${i}`);
      const consumer = registerSagaHandlers(
        createServiceConsumer({
          name: 'books',
          transport: memberTransport,
          logger: silent,
          pool: memberPool,
          wrapTransaction: (transaction) => async (work) => {
            maxInFlight = Math.max(maxInFlight, ++inFlight);
            try {
              return await transaction(work);
            } finally {
              inFlight--;
            }
          },
        }),
        createOutbox('books'),
        silent,
      );
      await consumer.start();
      members.push({ consumer, pool: memberPool, transport: memberTransport });
    }
    try {
      const listing = await newListing(3, 1999);
      const orderIds = Array.from({ length: 50 }, () => randomUUID());
      const envelopes = orderIds.map((orderId) =>
        createEnvelope(OrderPlaced, { source: 'orders', key: orderId, data: placed(orderId, [{ listingId: listing.id, quantity: 1 }]) }),
      );
      await transport.publish(envelopes.map((envelope) => ({ topic: OrderPlaced.topic, key: envelope.key, id: envelope.id, value: JSON.stringify(envelope) })));

      const answers = await eventually(() => answersFor(orderIds), (found) => found.length >= 50, 60_000);
      const reserved = answers.filter(({ type }) => type === 'StockReserved');
      const rejected = answers.filter(({ type }) => type === 'StockRejected');
      const stock = await listingState(listing.id);
      console.log(`50 concurrent orders for the last 3 copies: ${reserved.length} reserved, ${rejected.length} rejected, stock ${stock.quantity}`);
      console.log(`(at most ${maxInFlight} saga transactions at once in the 3 extra members, plus the books service's own)`);

      expect(answers).toHaveLength(50);
      expect(new Set(answers.map(({ data }) => data.orderId)).size).toBe(50);
      expect(reserved).toHaveLength(3);
      expect(rejected).toHaveLength(47);
      for (const { data } of rejected) expect(data.reasons).toEqual([{ listingId: listing.id, reason: 'INSUFFICIENT_STOCK', available: 0 }]);
      expect(stock).toEqual({ quantity: 0, status: 'SOLD_OUT' });
      const { rows } = await pool.query<{ quantity: number }>(
        `SELECT (envelope->'data'->>'quantity')::int AS quantity FROM outbox_events
          WHERE key = $1 AND type = 'ListingStockChanged' AND envelope->'data'->>'reason' = 'RESERVED' ORDER BY position`,
        [listing.id],
      );
      expect(rows.map(({ quantity }) => quantity)).toEqual([2, 1, 0]);
      const reservations = await pool.query(`SELECT count(*)::int AS n FROM stock_reservations WHERE id = ANY($1::text[])`, [orderIds]);
      expect(reservations.rows[0].n).toBe(3);
    } finally {
      for (const member of members) {
        await member.consumer.stop();
        await member.transport.close();
        await member.pool.end();
      }
    }
  });
});

describe('OrderPaid and OrderCancelled', () => {
  const cancelled = (orderId: string, lines: Line[], stockCommitted: boolean) => ({
    orderId,
    buyerId,
    outcome: stockCommitted ? ('REFUNDED' as const) : ('EXPIRED' as const),
    reason: 'test',
    stockCommitted,
    lines,
    cancelledAt: new Date().toISOString(),
  });

  it('releases an unpaid order (stockCommitted false) and puts the copies back on sale, once', async () => {
    const listing = await newListing(1);
    const orderId = randomUUID();
    const lines = [{ listingId: listing.id, quantity: 1 }];
    await publish(OrderPlaced, orderId, placed(orderId, lines));
    expect((await answerTo(orderId)).type).toBe('StockReserved');
    expect(await listingState(listing.id)).toEqual({ quantity: 0, status: 'SOLD_OUT' });

    const cancel = await publish(OrderCancelled, orderId, cancelled(orderId, lines, false));
    await processed(cancel.id);
    expect(await listingState(listing.id)).toEqual({ quantity: 1, status: 'ACTIVE' });
    expect(await reservationStatus(orderId)).toBe('RELEASED');

    await publish(OrderCancelled, orderId, cancel.data, cancel.id); // redelivered
    const again = await publish(OrderCancelled, orderId, cancelled(orderId, lines, false)); // published twice
    await processed(again.id);
    expect(await listingState(listing.id)).toEqual({ quantity: 1, status: 'ACTIVE' });
    const { rows } = await pool.query(
      `SELECT envelope->'data'->>'reason' AS reason FROM outbox_events WHERE key = $1 AND type = 'ListingStockChanged' ORDER BY position`,
      [listing.id],
    );
    expect(rows.map(({ reason }) => reason)).toEqual(['RESERVED', 'RELEASED']);
  });

  it('commits on OrderPaid, then restocks on OrderCancelled(stockCommitted true), once', async () => {
    const listing = await newListing(2);
    const orderId = randomUUID();
    const lines = [{ listingId: listing.id, quantity: 2 }];
    await publish(OrderPlaced, orderId, placed(orderId, lines));
    expect((await answerTo(orderId)).type).toBe('StockReserved');

    const paid = await publish(OrderPaid, orderId, { orderId, buyerId, paidAt: new Date().toISOString(), lines: [{ ...lines[0]!, bookId: listing.bookId }] });
    await processed(paid.id);
    expect(await reservationStatus(orderId)).toBe('COMMITTED');
    const paidAgain = await publish(OrderPaid, orderId, { ...paid.data });
    await processed(paidAgain.id);
    expect(await reservationStatus(orderId)).toBe('COMMITTED');
    expect(await listingState(listing.id)).toEqual({ quantity: 0, status: 'SOLD_OUT' });

    const refund = await publish(OrderCancelled, orderId, cancelled(orderId, lines, true));
    await processed(refund.id);
    expect(await listingState(listing.id)).toEqual({ quantity: 2, status: 'ACTIVE' });
    const refundAgain = await publish(OrderCancelled, orderId, cancelled(orderId, lines, true));
    await processed(refundAgain.id);
    expect(await listingState(listing.id)).toEqual({ quantity: 2, status: 'ACTIVE' });
    const { rows } = await pool.query(
      `SELECT envelope->'data'->>'reason' AS reason, (envelope->'data'->>'quantity')::int AS quantity
         FROM outbox_events WHERE key = $1 AND type = 'ListingStockChanged' ORDER BY position`,
      [listing.id],
    );
    expect(rows).toEqual([
      { reason: 'RESERVED', quantity: 0 },
      { reason: 'RESTOCKED', quantity: 2 },
    ]);
    const dead = await pool.query(`SELECT count(*)::int AS n FROM dead_letter_events`);
    expect(dead.rows[0].n).toBe(0);
  });

  it('ignores the cancellation of a rejected order (nothing was reserved)', async () => {
    const listing = await newListing(1);
    const orderId = randomUUID();
    const lines = [{ listingId: listing.id, quantity: 5 }];
    await publish(OrderPlaced, orderId, placed(orderId, lines));
    expect((await answerTo(orderId)).type).toBe('StockRejected');
    const cancel = await publish(OrderCancelled, orderId, cancelled(orderId, lines, false));
    await processed(cancel.id);
    expect(await listingState(listing.id)).toEqual({ quantity: 1, status: 'ACTIVE' });
  });
});
