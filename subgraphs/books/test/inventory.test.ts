import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutbox } from '@bazaar/events';
import { createBook, createListing, signUpAs, startTestStack, type GraphQLClient, type TestStack } from '@bazaar/testing';
import { createPrismaClient } from '@bazaar/bootstrap';
import { commitReservation, releaseReservation, reserveStock, StockUnavailableError } from '../src/domain/inventory';
import { PrismaClient } from '../src/generated/prisma/client';

/** The inventory rules the checkout saga will call, each in a transaction of its own, on the real database. */
let stack: TestStack;
let db: PrismaClient;
let pool: pg.Pool;
let seller: GraphQLClient;
const outbox = createOutbox('books');

beforeAll(async () => {
  stack = await startTestStack({ subgraphs: ['users', 'books'] });
  db = createPrismaClient((options) => new PrismaClient(options), stack.databases.books!.url);
  pool = new pg.Pool({ connectionString: stack.databases.books!.url });
  seller = (await signUpAs(stack, ['BUYER', 'SELLER'])).client;
});
afterAll(async () => {
  await db?.$disconnect();
  await pool?.end();
  await stack?.stop();
});

const TX = { maxWait: 20_000, timeout: 20_000 };
let orders = 0;
const orderId = () => `order-${process.pid}-${++orders}`;

const reserve = (lines: { listingId: string; quantity: number }[], reservationId = orderId()) =>
  db.$transaction((tx) => reserveStock(tx, outbox, { reservationId, lines }), TX);

async function listingState(id: string) {
  const { rows } = await pool.query<{ quantity: number; status: string; in_stock: boolean }>(
    'SELECT l.quantity, l.status, b.in_stock FROM listings l JOIN books b ON b.id = l.book_id WHERE l.id = $1',
    [id],
  );
  return rows[0]!;
}

async function newListing(quantity: number, amount = 1000) {
  const book = await createBook(seller, { title: `Stock ${orders}-${Math.random()}`, authors: ['Inventory'] });
  return createListing(seller, book.id, { amount, quantity });
}

describe('reserving stock', () => {
  it('gives the last 3 copies to exactly 3 of 20 concurrent buyers', async () => {
    const listing = await newListing(3);
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => reserve([{ listingId: listing.id, quantity: 1 }])));
    const won = results.filter((result) => result.status === 'fulfilled');
    const lost = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    expect(won).toHaveLength(3);
    expect(lost).toHaveLength(17);
    for (const { reason } of lost) expect(reason).toBeInstanceOf(StockUnavailableError);
    expect(await listingState(listing.id)).toEqual({ quantity: 0, status: 'SOLD_OUT', in_stock: false });
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM stock_reservations WHERE lines @> $1::jsonb`, [
      JSON.stringify([{ listingId: listing.id }]),
    ]);
    expect(rows[0].n).toBe(3);
    const events = await pool.query(
      `SELECT envelope->'data' AS data FROM outbox_events WHERE key = $1 AND type = 'ListingStockChanged' ORDER BY position`,
      [listing.id],
    );
    expect(events.rows.map(({ data }) => data.quantity)).toEqual([2, 1, 0]);
  });

  it('reserves all lines or none', async () => {
    const plenty = await newListing(5);
    const scarce = await newListing(1);
    await expect(reserve([{ listingId: plenty.id, quantity: 2 }, { listingId: scarce.id, quantity: 2 }])).rejects.toMatchObject({
      code: 'CONFLICT',
      lines: [{ listingId: scarce.id, requested: 2, available: 1, reason: 'INSUFFICIENT_STOCK' }],
    });
    expect((await listingState(plenty.id)).quantity).toBe(5);
    expect((await listingState(scarce.id)).quantity).toBe(1);

    const reservation = await reserve([{ listingId: plenty.id, quantity: 2 }, { listingId: scarce.id, quantity: 1 }]);
    expect(reservation.lines.map(({ quantity, unitPrice }) => ({ quantity, unitPrice }))).toEqual([
      { quantity: expect.any(Number), unitPrice: { amount: 1000, currency: 'EUR' } },
      { quantity: expect.any(Number), unitPrice: { amount: 1000, currency: 'EUR' } },
    ]);
    expect((await listingState(plenty.id)).quantity).toBe(3);
    expect(await listingState(scarce.id)).toMatchObject({ quantity: 0, status: 'SOLD_OUT' });
  });

  it('refuses paused and unknown listings', async () => {
    const paused = await newListing(4);
    await seller.data('mutation($id: ID!) { pauseListing(id: $id) { listing { id } } }', { id: paused.id });
    await expect(reserve([{ listingId: paused.id, quantity: 1 }])).rejects.toMatchObject({ lines: [{ reason: 'NOT_ACTIVE' }] });
    await expect(reserve([{ listingId: '0190a1c4-0000-7000-8000-000000000000', quantity: 1 }])).rejects.toMatchObject({
      lines: [{ reason: 'NOT_FOUND' }],
    });
    expect((await listingState(paused.id)).quantity).toBe(4);
  });

  it('rewrites the book\'s offers only when a listing goes off or back on offer', async () => {
    const listing = await newListing(3);
    // The book row's version (xmin) moves with every write of its offer columns.
    const bookVersion = async () =>
      (await pool.query<{ version: string }>('SELECT b.xmin::text AS version FROM books b JOIN listings l ON l.book_id = b.id WHERE l.id = $1', [listing.id])).rows[0]!.version;
    const untouched = await bookVersion();
    const first = await reserve([{ listingId: listing.id, quantity: 2 }]);
    expect(await bookVersion()).toBe(untouched);
    const last = await reserve([{ listingId: listing.id, quantity: 1 }]);
    const soldOut = await bookVersion();
    expect(soldOut).not.toBe(untouched);
    expect(await listingState(listing.id)).toEqual({ quantity: 0, status: 'SOLD_OUT', in_stock: false });
    await db.$transaction((tx) => releaseReservation(tx, outbox, last.id), TX);
    const backOnOffer = await bookVersion();
    expect(backOnOffer).not.toBe(soldOut);
    expect(await listingState(listing.id)).toEqual({ quantity: 1, status: 'ACTIVE', in_stock: true });
    await db.$transaction((tx) => releaseReservation(tx, outbox, first.id), TX);
    expect(await bookVersion()).toBe(backOnOffer);
    expect(await listingState(listing.id)).toEqual({ quantity: 3, status: 'ACTIVE', in_stock: true });
  });

  it('reserves once per reservation id', async () => {
    const listing = await newListing(5);
    const id = orderId();
    await reserve([{ listingId: listing.id, quantity: 2 }], id);
    const again = await reserve([{ listingId: listing.id, quantity: 2 }], id);
    expect(again.status).toBe('RESERVED');
    expect((await listingState(listing.id)).quantity).toBe(3);
  });
});

describe('releasing and committing', () => {
  it('puts released copies back on sale, once', async () => {
    const listing = await newListing(1);
    const { id } = await reserve([{ listingId: listing.id, quantity: 1 }]);
    expect(await listingState(listing.id)).toEqual({ quantity: 0, status: 'SOLD_OUT', in_stock: false });
    await db.$transaction((tx) => releaseReservation(tx, outbox, id), TX);
    expect(await listingState(listing.id)).toEqual({ quantity: 1, status: 'ACTIVE', in_stock: true });
    const twice = await db.$transaction((tx) => releaseReservation(tx, outbox, id), TX);
    expect(twice.status).toBe('RELEASED');
    expect((await listingState(listing.id)).quantity).toBe(1);
    await expect(db.$transaction((tx) => commitReservation(tx, id), TX)).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('commits a reservation for good; releasing it afterwards changes nothing', async () => {
    const listing = await newListing(2);
    const { id } = await reserve([{ listingId: listing.id, quantity: 2 }]);
    expect((await db.$transaction((tx) => commitReservation(tx, id), TX)).status).toBe('COMMITTED');
    expect((await db.$transaction((tx) => commitReservation(tx, id), TX)).status).toBe('COMMITTED');
    expect((await db.$transaction((tx) => releaseReservation(tx, outbox, id), TX)).status).toBe('COMMITTED');
    expect(await listingState(listing.id)).toMatchObject({ quantity: 0, status: 'SOLD_OUT' });
  });
});

describe('on hand and reserved copies', () => {
  const UPDATE = `mutation($input: UpdateListingInput!) { updateListing(input: $input) { listing { quantity reservedQuantity } } }`;
  const held = async (id: string) => (await pool.query<{ quantity: number; reserved: number }>('SELECT quantity, reserved FROM listings WHERE id = $1', [id])).rows[0]!;

  it('never creates or destroys reserved copies when the seller changes the quantity', async () => {
    // 3 copies, 2 reserved; the seller says they have 3 on hand; the order expires: 3, not 5.
    const listing = await newListing(3);
    const reservation = await reserve([{ listingId: listing.id, quantity: 2 }]);
    const { updateListing } = await seller.data<{ updateListing: { listing: { quantity: number; reservedQuantity: number } } }>(UPDATE, { input: { id: listing.id, quantity: 3 } });
    expect(updateListing.listing).toEqual({ quantity: 1, reservedQuantity: 2 });
    await db.$transaction((tx) => releaseReservation(tx, outbox, reservation.id), TX);
    const afterRelease = await held(listing.id);
    console.log(`3 copies, 2 reserved, seller sets 3, order expires → available ${afterRelease.quantity}, reserved ${afterRelease.reserved}`);
    expect(afterRelease).toEqual({ quantity: 3, reserved: 0 });
  });

  it('refuses a quantity below the reserved copies, and a sale takes copies out of reserved for good', async () => {
    const listing = await newListing(4);
    const reservation = await reserve([{ listingId: listing.id, quantity: 3 }]);
    const refused = await seller.request(UPDATE, { input: { id: listing.id, quantity: 2 } });
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reservedQuantity: 3 });
    expect(await held(listing.id)).toEqual({ quantity: 1, reserved: 3 });
    await db.$transaction((tx) => commitReservation(tx, reservation.id), TX);
    expect(await held(listing.id)).toEqual({ quantity: 1, reserved: 0 });
    await seller.data(UPDATE, { input: { id: listing.id, quantity: 0 } });
    expect(await held(listing.id)).toEqual({ quantity: 0, reserved: 0 });
  });
});
