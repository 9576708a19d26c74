import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnvelope, type EventTransport } from '@bazaar/events';
import { OrderDelivered } from '@bazaar/contracts/orders';
import { createTransport } from '@bazaar/events/transports';
import { createBook, eventually, mintedUser, startTestStack, type GraphQLClient, type TestStack } from '@bazaar/testing';
import { waitUntilKnown, writeReview } from './helpers';

/**
 * reviews as a consumer (the catalog's BookCreated, the orders service's OrderDelivered) and as a
 * producer (ReviewWritten / ReviewEdited / ReviewDeleted through its outbox). Orders does not
 * exist yet: the test plays it, publishing OrderDelivered straight to the broker.
 */
let stack: TestStack;
let db: pg.Pool;
let transport: EventTransport;
let seller: GraphQLClient;

beforeAll(async () => {
  stack = await startTestStack({ subgraphs: ['users', 'books', 'reviews'] });
  db = new pg.Pool({ connectionString: stack.databases.reviews!.url });
  transport = createTransport({ EVENT_TRANSPORT: 'postgres', EVENTS_DATABASE_URL: stack.eventsDatabase.url }, 'reviews-events-test');
  seller = (await mintedUser(stack, ['BUYER', 'SELLER'])).client;
});
afterAll(async () => {
  await transport?.close();
  await db?.end();
  await stack?.stop();
});

/** A new book in the catalog, by the seller; its id. */
const book = async (title: string) => (await createBook(seller, { title, authors: ['Ann Author'] })).id;

function orderDelivered(orderId: string, buyerId: string, bookIds: string[]) {
  return createEnvelope(OrderDelivered, {
    source: 'orders',
    key: orderId,
    data: {
      orderId,
      buyerId,
      deliveredAt: new Date().toISOString(),
      lines: bookIds.map((bookId) => ({ listingId: randomUUID(), bookId, quantity: 1 })),
    },
  });
}

const asMessage = (envelope: ReturnType<typeof orderDelivered>) => ({
  topic: OrderDelivered.topic,
  key: envelope.key,
  id: envelope.id,
  value: JSON.stringify(envelope),
});

const verified = async (client: GraphQLClient, reviewId: string) =>
  (await client.data<{ review: { verifiedPurchase: boolean } }>(`query($id: ID!) { review(id: $id) { verifiedPurchase } }`, { id: reviewId })).review
    .verifiedPurchase;

const orderCounts = async (buyerId: string) =>
  Object.fromEntries(
    (await db.query<{ book_id: string; order_count: number }>('SELECT book_id, order_count FROM verified_purchases WHERE buyer_id = $1', [buyerId])).rows.map(
      (row) => [row.book_id, row.order_count],
    ),
  );

describe('verified purchases from OrderDelivered', () => {
  it('flips an existing review to verified, applies a redelivered event once, and verifies later reviews at once', async () => {
    const [bookA, bookB, bookC] = await Promise.all([book('Delivered A'), book('Delivered B'), book('Delivered C')]);
    await waitUntilKnown(db, [bookA!, bookB!, bookC!]);
    const buyer = await mintedUser(stack);
    const other = await mintedUser(stack);
    const review = await writeReview(buyer.client, bookA!, 5);
    const othersReview = await writeReview(other.client, bookA!, 2);
    expect(review.verifiedPurchase).toBe(false);

    const orderId = randomUUID();
    const delivered = orderDelivered(orderId, buyer.id, [bookA!]);
    // The same event twice (a relay that crashed before marking it sent), then the order's second parcel.
    const secondParcel = orderDelivered(orderId, buyer.id, [bookB!]);
    await transport.publish([asMessage(delivered), asMessage(delivered)]);
    await transport.publish([asMessage(secondParcel)]);

    expect(await eventually(() => verified(buyer.client, review.id), Boolean)).toBe(true);
    // The second parcel is handled after both copies of the first (same key, in order).
    expect(await eventually(() => orderCounts(buyer.id), (counts) => bookB! in counts)).toEqual({ [bookA!]: 1, [bookB!]: 1 });
    const { rows: processed } = await db.query('SELECT event_id FROM processed_events WHERE consumer = $1 AND event_id = ANY($2::uuid[])', [
      'reviews',
      [delivered.id, secondParcel.id],
    ]);
    expect(processed).toHaveLength(2);
    expect((await db.query('SELECT * FROM dead_letter_events')).rows).toEqual([]);

    // Only the buyer's review of the delivered book changes.
    expect(await verified(other.client, othersReview.id)).toBe(false);
    // A review written after the delivery is verified from the start; a book not delivered is not.
    expect((await writeReview(buyer.client, bookB!, 4)).verifiedPurchase).toBe(true);
    expect((await writeReview(buyer.client, bookC!, 4)).verifiedPurchase).toBe(false);

    // A second order of the same book counts (so a redelivery would have shown above).
    await transport.publish([asMessage(orderDelivered(randomUUID(), buyer.id, [bookA!]))]);
    expect(await eventually(() => orderCounts(buyer.id), (counts) => counts[bookA!] === 2)).toMatchObject({ [bookA!]: 2 });
  });

  it('parks an invalid OrderDelivered in the dead-letter table and goes on', async () => {
    const id = randomUUID();
    const envelope = { ...orderDelivered(randomUUID(), randomUUID(), [randomUUID()]), id, data: { orderId: 'x', lines: [] } };
    await transport.publish([{ topic: OrderDelivered.topic, key: envelope.key, id, value: JSON.stringify(envelope) }]);
    const parked = await eventually(
      async () => (await db.query<{ reason: string }>('SELECT reason FROM dead_letter_events WHERE event_id = $1', [id])).rows,
      (rows) => rows.length > 0,
    );
    expect(parked[0]?.reason).toMatch(/invalid OrderDelivered payload/);
  });
});

describe('reviews publishes through its outbox', () => {
  it('announces written, edited and deleted reviews, and nothing for a failed write', async () => {
    const bookId = await book('Announced');
    await waitUntilKnown(db, [bookId]);
    const author = await mintedUser(stack);
    const review = await writeReview(author.client, bookId, 3);
    await author.client.data(`mutation($input: EditReviewInput!) { editReview(input: $input) { review { id } } }`, { input: { id: review.id, rating: 4 } });
    // Unchanged: no event.
    await author.client.data(`mutation($input: EditReviewInput!) { editReview(input: $input) { review { id } } }`, { input: { id: review.id, rating: 4 } });
    expect(
      await author.client.errorCodes(`mutation($input: WriteReviewInput!) { writeReview(input: $input) { review { id } } }`, {
        input: { bookId, rating: 2, title: 'Dup', body: 'Second try.' },
      }),
    ).toEqual(['CONFLICT']);
    await author.client.data(`mutation($id: ID!) { deleteReview(id: $id) { deletedReviewId } }`, { id: review.id });

    const events = await eventually(
      async () =>
        (
          await db.query<{ type: string; envelope: { data: Record<string, unknown>; key: string; source: string }; published_at: Date | null }>(
            `SELECT type, envelope, published_at FROM outbox_events WHERE envelope->'data'->>'reviewId' = $1 ORDER BY position`,
            [review.id],
          )
        ).rows,
      (rows) => rows.length === 3 && rows.every((row) => row.published_at !== null),
    );
    expect(events.map((event) => event.type)).toEqual(['ReviewWritten', 'ReviewEdited', 'ReviewDeleted']);
    expect(events.every((event) => event.published_at !== null && event.envelope.key === bookId && event.envelope.source === 'reviews')).toBe(true);
    expect(events[0]!.envelope.data).toMatchObject({ bookId, authorId: author.id, rating: 3, verifiedPurchase: false });
    expect(events[1]!.envelope.data).toMatchObject({ rating: 4, previousRating: 3, changedFields: ['rating'] });
    expect(events[2]!.envelope.data).toMatchObject({ rating: 4, deletedBy: author.id });
  });
});
