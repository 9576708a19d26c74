import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StockRejected } from '@bazaar/contracts/books';
import { PaymentFailed, PaymentRefunded, PaymentSucceeded } from '@bazaar/contracts/payments';
import { eventually, postToSubgraph, signUpAs, TEST_SUBGRAPH_SECRET, type Actor } from '@bazaar/testing';
import {
  ADDRESS,
  CANCEL,
  eventsOf,
  listing,
  newKey,
  ORDER,
  PLACE,
  PLACE_AWAITING_STOCK,
  paidOrder,
  paymentSucceeded,
  placeOrder,
  processedCount,
  publish,
  readOrder,
  reserve,
  reservedOrder,
  startOrdersWorld,
  waitForStatus,
  type OrderShape,
  type OrdersWorld,
} from './helpers';

/** Placing orders and the saga's events through the router: reservation, payment, cancellation, visibility. */
let world: OrdersWorld;
let buyer: Actor;
let seller: Actor;

beforeAll(async () => {
  world = await startOrdersWorld();
  [buyer, seller] = await Promise.all([signUpAs(world.stack, ['BUYER'], 'Buyer'), signUpAs(world.stack, ['BUYER', 'SELLER'], 'Seller')]);
});
afterAll(async () => {
  await world?.stop();
});

const ordersOfBuyer = async (buyerId: string) =>
  Number((await world.pool.query<{ n: string }>('SELECT count(*) AS n FROM orders WHERE buyer_id = $1', [buyerId])).rows[0]!.n);

describe('placeOrder', () => {
  it('with awaitStock, answers PENDING once its wait (ORDERS_STOCK_WAIT_MS, 3 s) is over when the catalog has not decided', async () => {
    const started = Date.now();
    const { placeOrder: payload } = await buyer.client.data<{ placeOrder: { order: OrderShape } }>(PLACE_AWAITING_STOCK, {
      input: { items: [{ listingId: listing(), quantity: 1 }], shippingAddress: ADDRESS },
      key: newKey(),
    });
    // Nothing plays the catalog here: no decision comes.
    expect(payload.order).toMatchObject({ status: 'PENDING', total: null, statusHistory: [{ status: 'PENDING' }] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_950);
    expect(await eventsOf(world, payload.order.id, 'OrderPlaced')).toHaveLength(1);
  });

  it('places a PENDING order expiring after the payment TTL and announces it in the same transaction', async () => {
    const [first, second] = [listing(), listing()];
    const order = await placeOrder(buyer, [{ listingId: first, quantity: 2 }, { listingId: second, quantity: 1 }]);
    expect(order).toMatchObject({
      status: 'PENDING',
      buyer: { id: buyer.id },
      total: null,
      lines: [
        { listing: { id: first }, quantity: 2, book: null, seller: null, unitPrice: null },
        { listing: { id: second }, quantity: 1 },
      ],
      statusHistory: [{ status: 'PENDING' }],
      fulfilments: [],
      shippingAddress: { ...ADDRESS, country: 'DE', line2: null },
    });
    const ttl = (Date.parse(order.expiresAt) - Date.parse(order.createdAt)) / 1000;
    expect(ttl).toBe(900);
    expect(await eventsOf(world, order.id)).toMatchObject([
      { type: 'OrderPlaced', data: { orderId: order.id, buyerId: buyer.id, lines: [{ listingId: first, quantity: 2 }, { listingId: second, quantity: 1 }], expiresAt: order.expiresAt } },
    ]);
  });

  it('returns the same order for the same key, and CONFLICT for the same key with another request', async () => {
    const [first, second] = [listing(), listing()];
    const key = newKey();
    const items = [{ listingId: first, quantity: 1 }, { listingId: second, quantity: 3 }];
    const order = await placeOrder(buyer, items, key);
    expect((await placeOrder(buyer, items, key)).id).toBe(order.id);
    // The same request in another line order is the same request.
    expect((await placeOrder(buyer, [...items].reverse(), key)).id).toBe(order.id);

    const different = await buyer.client.request(PLACE, { input: { items: [{ listingId: first, quantity: 2 }], shippingAddress: ADDRESS }, key });
    expect(different.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', orderId: order.id });
    // Keys are per buyer: another buyer's identical key places their own order.
    const other = await signUpAs(world.stack);
    expect((await placeOrder(other, items, key)).id).not.toBe(order.id);
    expect(await eventsOf(world, order.id, 'OrderPlaced')).toHaveLength(1);
  });

  it('places one order for concurrent requests with one key', async () => {
    const shopper = await signUpAs(world.stack);
    const key = newKey();
    const items = [{ listingId: listing(), quantity: 1 }];
    const orders = await Promise.all(Array.from({ length: 6 }, () => placeOrder(shopper, items, key)));
    expect(new Set(orders.map(({ id }) => id)).size).toBe(1);
    expect(await ordersOfBuyer(shopper.id)).toBe(1);
  });

  it('refuses bad input with BAD_USER_INPUT and writes nothing', async () => {
    const shopper = await signUpAs(world.stack);
    const items = [{ listingId: listing(), quantity: 1 }];
    const cases: [Record<string, unknown>, string, string][] = [
      [{ items: [], shippingAddress: ADDRESS }, newKey(), 'items'],
      [{ items: [{ listingId: listing(), quantity: 0 }], shippingAddress: ADDRESS }, newKey(), 'items.0.quantity'],
      [{ items: [{ listingId: listing(), quantity: 100 }], shippingAddress: ADDRESS }, newKey(), 'items.0.quantity'],
      [{ items: [...items, ...items], shippingAddress: ADDRESS }, newKey(), 'items'],
      [{ items, shippingAddress: { ...ADDRESS, country: 'Germany' } }, newKey(), 'shippingAddress.country'],
      [{ items, shippingAddress: { ...ADDRESS, country: 'XX' } }, newKey(), 'shippingAddress.country'],
      [{ items, shippingAddress: ADDRESS }, 'short', ''],
      [{ items, shippingAddress: ADDRESS }, 'has spaces in it!', ''],
    ];
    for (const [input, key, field] of cases) {
      const response = await shopper.client.request(PLACE, { input, key });
      expect(response.errors?.[0]?.extensions, JSON.stringify(input)).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field }] });
    }
    expect(await world.stack.client.errorCodes(PLACE, { input: { items, shippingAddress: ADDRESS }, key: newKey() })).toEqual(['UNAUTHENTICATED']);
    expect(await ordersOfBuyer(shopper.id)).toBe(0);
  });
});

describe('the saga', () => {
  it('moves to AWAITING_PAYMENT with the reserved prices and total, once however often StockReserved comes', async () => {
    const [first, second] = [listing(), listing()];
    const placed = await placeOrder(buyer, [{ listingId: first, quantity: 2 }, { listingId: second, quantity: 1 }]);
    const envelope = await reserve(world, placed.id, [{ listingId: first, sellerId: seller.id, quantity: 2, amount: 1250 }, { listingId: second, sellerId: seller.id, quantity: 1, amount: 800 }], 3);
    const order = await waitForStatus(buyer.client, placed.id, 'AWAITING_PAYMENT');
    expect(order).toMatchObject({
      total: { amount: 3300, currency: 'EUR' },
      lines: [
        { listing: { id: first }, seller: { id: seller.id }, book: { id: `book-${first}` }, unitPrice: { amount: 1250 }, lineTotal: { amount: 2500 } },
        { listing: { id: second }, unitPrice: { amount: 800 }, lineTotal: { amount: 800 } },
      ],
      fulfilments: [{ seller: { id: seller.id }, status: 'PENDING', carrier: null }],
    });
    expect(order.statusHistory.map(({ status }) => status)).toEqual(['PENDING', 'AWAITING_PAYMENT']);
    expect(await processedCount(world, envelope.id)).toBe(1);
    // A second StockReserved (another event id) for an order that is past PENDING changes nothing either.
    const late = await reserve(world, placed.id, [{ listingId: first, sellerId: seller.id, quantity: 2, amount: 1 }, { listingId: second, sellerId: seller.id, quantity: 1, amount: 1 }]);
    await eventually(() => processedCount(world, late.id), (count) => count === 1);
    expect((await readOrder(buyer.client, placed.id)).total).toEqual({ amount: 3300, currency: 'EUR' });
    expect(await eventsOf(world, placed.id, 'OrderAwaitingPayment')).toMatchObject([
      { data: { orderId: placed.id, buyerId: buyer.id, total: { amount: 3300, currency: 'EUR' }, expiresAt: placed.expiresAt } },
    ]);
  });

  it('is REJECTED with the reasons when books cannot reserve the stock', async () => {
    const [first, second] = [listing(), listing()];
    const placed = await placeOrder(buyer, [{ listingId: first, quantity: 1 }, { listingId: second, quantity: 5 }]);
    await publish(world, StockRejected, placed.id, { orderId: placed.id, reasons: [{ listingId: second, reason: 'INSUFFICIENT_STOCK', available: 2 }] });
    const order = await waitForStatus(buyer.client, placed.id, 'REJECTED');
    expect(order.rejectionReasons).toEqual([{ listing: { id: second }, reason: 'INSUFFICIENT_STOCK', available: 2 }]);
    expect(order.total).toBeNull();
    expect(order.statusHistory.at(-1)?.reason).toMatch(/INSUFFICIENT_STOCK/);
    expect(await buyer.client.errorCodes(CANCEL, { id: placed.id })).toEqual(['BAD_USER_INPUT']);
  });

  it('keeps a failed payment\'s reason while still payable, then is PAID once however often PaymentSucceeded comes', async () => {
    const item = listing();
    const order = await reservedOrder(world, buyer, [{ listingId: item, sellerId: seller.id, quantity: 1, amount: 999 }]);
    const failed = await publish(world, PaymentFailed, order.id, {
      paymentId: randomUUID(),
      orderId: order.id,
      code: 'CARD_DECLINED',
      reason: 'The card was declined.',
      failedAt: new Date().toISOString(),
    });
    await eventually(() => processedCount(world, failed.id), (count) => count === 1);
    expect(await readOrder(buyer.client, order.id)).toMatchObject({ status: 'AWAITING_PAYMENT', paymentFailureReason: 'The card was declined.' });

    const paymentId = randomUUID();
    const succeeded = await paymentSucceeded(world, order.id, 999, { paymentId, times: 3 });
    const paid = await waitForStatus(buyer.client, order.id, 'PAID');
    expect(paid.paymentFailureReason).toBeNull();
    expect(await processedCount(world, succeeded.id)).toBe(1);
    // The same payment reported again under a new event id is not a second payment.
    const again = await paymentSucceeded(world, order.id, 999, { paymentId });
    await eventually(() => processedCount(world, again.id), (count) => count === 1);
    expect(await eventsOf(world, order.id, 'OrderPaid')).toMatchObject([
      { data: { orderId: order.id, buyerId: buyer.id, lines: [{ listingId: item, bookId: `book-${item}`, quantity: 1 }] } },
    ]);
    expect(await eventsOf(world, order.id, 'OrderCancelled')).toEqual([]);
    expect((await readOrder(buyer.client, order.id)).statusHistory.map(({ status }) => status)).toEqual(['PENDING', 'AWAITING_PAYMENT', 'PAID']);
  });
});

describe('a payment that does not match the total', () => {
  it('never makes the order paid: it is cancelled and the payment refunded', async () => {
    const item = listing();
    const order = await reservedOrder(world, buyer, [{ listingId: item, sellerId: seller.id, quantity: 1, amount: 999 }]);
    await paymentSucceeded(world, order.id, 99);
    const cancelled = await waitForStatus(buyer.client, order.id, 'CANCELLED');
    expect(cancelled.statusHistory.at(-1)?.reason).toMatch(/does not match the order's total of 999 EUR/);
    expect(await eventsOf(world, order.id, 'OrderCancelled')).toMatchObject([{ data: { outcome: 'REFUNDED', stockCommitted: false } }]);
    expect(await eventsOf(world, order.id, 'OrderPaid')).toEqual([]);
  });
});

describe('cancelOrder', () => {
  it('cancels before payment: the stock is released (not committed)', async () => {
    const order = await reservedOrder(world, buyer, [{ listingId: listing(), sellerId: seller.id, quantity: 1, amount: 500 }]);
    const { cancelOrder } = await buyer.client.data<{ cancelOrder: { order: OrderShape } }>(CANCEL, { id: order.id, reason: 'Changed my mind' });
    expect(cancelOrder.order.status).toBe('CANCELLED');
    expect(cancelOrder.order.statusHistory.at(-1)).toMatchObject({ status: 'CANCELLED', reason: 'Changed my mind' });
    expect(await eventsOf(world, order.id, 'OrderCancelled')).toMatchObject([
      { data: { outcome: 'CANCELLED', stockCommitted: false, reason: 'Changed my mind', lines: [{ quantity: 1 }] } },
    ]);
    // A payment that arrives now is refunded, never makes the order paid.
    await paymentSucceeded(world, order.id, 500);
    await eventually(() => eventsOf(world, order.id, 'OrderCancelled'), (rows) => rows.length === 2);
    expect((await eventsOf(world, order.id, 'OrderCancelled'))[1]).toMatchObject({ data: { outcome: 'REFUNDED', stockCommitted: false } });
    expect((await readOrder(buyer.client, order.id)).status).toBe('CANCELLED');
  });

  it('cancels after payment: books restocks, payments refunds, and the refund makes it REFUNDED', async () => {
    const paymentId = randomUUID();
    const order = await paidOrder(world, buyer, [{ listingId: listing(), sellerId: seller.id, quantity: 2, amount: 700 }], paymentId);
    const { cancelOrder } = await buyer.client.data<{ cancelOrder: { order: OrderShape } }>(CANCEL, { id: order.id });
    expect(cancelOrder.order.status).toBe('CANCELLED');
    expect(await eventsOf(world, order.id, 'OrderCancelled')).toMatchObject([{ data: { outcome: 'CANCELLED', stockCommitted: true, lines: [{ quantity: 2 }] } }]);
    expect(await buyer.client.errorCodes(CANCEL, { id: order.id })).toEqual(['BAD_USER_INPUT']);

    await publish(world, PaymentRefunded, order.id, {
      paymentId,
      orderId: order.id,
      refundId: randomUUID(),
      amount: { amount: 1400, currency: 'EUR' },
      full: true,
      reason: 'order cancelled',
      refundedAt: new Date().toISOString(),
    });
    const refunded = await waitForStatus(buyer.client, order.id, 'REFUNDED');
    expect(refunded.statusHistory.map(({ status }) => status)).toEqual(['PENDING', 'AWAITING_PAYMENT', 'PAID', 'CANCELLED', 'REFUNDED']);
  });

  it('lets only the buyer cancel', async () => {
    const order = await reservedOrder(world, buyer, [{ listingId: listing(), sellerId: seller.id, quantity: 1, amount: 500 }]);
    const stranger = await signUpAs(world.stack);
    expect(await stranger.client.errorCodes(CANCEL, { id: order.id })).toEqual(['NOT_FOUND']);
    expect(await seller.client.errorCodes(CANCEL, { id: order.id })).toEqual(['FORBIDDEN']);
    expect(await buyer.client.errorCodes(CANCEL, { id: randomUUID() })).toEqual(['NOT_FOUND']);
    expect((await readOrder(buyer.client, order.id)).status).toBe('AWAITING_PAYMENT');
  });
});

describe('visibility', () => {
  it('shows an order to its buyer and admins in full, to a seller their lines only, and to nobody else', async () => {
    const other = await signUpAs(world.stack, ['BUYER', 'SELLER'], 'Other seller');
    const [mine, theirs] = [listing(), listing()];
    const order = await reservedOrder(world, buyer, [
      { listingId: mine, sellerId: seller.id, quantity: 1, amount: 1000 },
      { listingId: theirs, sellerId: other.id, quantity: 1, amount: 2000 },
    ]);
    expect((await readOrder(buyer.client, order.id)).lines).toHaveLength(2);
    const admin = await signUpAs(world.stack, ['BUYER', 'ADMIN'], 'Admin');
    expect((await readOrder(admin.client, order.id)).total).toEqual({ amount: 3000, currency: 'EUR' });

    const asSeller = await readOrder(seller.client, order.id);
    expect(asSeller.lines.map(({ listing: { id } }) => id)).toEqual([mine]);
    expect(asSeller.fulfilments.map(({ seller: { id } }) => id)).toEqual([seller.id]);
    expect(asSeller.total).toBeNull();

    const stranger = await signUpAs(world.stack);
    expect(await stranger.client.errorCodes(ORDER, { id: order.id })).toEqual(['NOT_FOUND']);
    expect(await stranger.client.errorCodes(ORDER, { id: 'not-an-id' })).toEqual(['NOT_FOUND']);
    expect(await world.stack.client.errorCodes(ORDER, { id: order.id })).toEqual(['UNAUTHENTICATED']);
  });

  it('lists the viewer\'s own orders under me, newest first, by status and page', async () => {
    const shopper = await signUpAs(world.stack);
    const placed = [];
    for (let index = 0; index < 3; index++) placed.push(await placeOrder(shopper, [{ listingId: listing(), quantity: 1 }]));
    await reserve(world, placed[0]!.id, [{ listingId: placed[0]!.lines[0]!.listing.id, sellerId: seller.id, quantity: 1, amount: 100 }]);
    await waitForStatus(shopper.client, placed[0]!.id, 'AWAITING_PAYMENT');

    const query = `query($first: Int, $after: String, $status: OrderStatus) { me { orders(first: $first, after: $after, status: $status) {
      totalCount edges { cursor node { id status } } pageInfo { hasNextPage hasPreviousPage endCursor } } } }`;
    type Page = {
      me: { orders: { totalCount: number; edges: { node: { id: string; status: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } };
    };
    const first = await shopper.client.data<Page>(query, { first: 2 });
    expect(first.me.orders.edges.map(({ node }) => node.id)).toEqual([placed[2]!.id, placed[1]!.id]);
    expect(first.me.orders.pageInfo.hasNextPage).toBe(true);
    expect(first.me.orders.totalCount).toBe(3);
    const second = await shopper.client.data<Page>(query, { first: 2, after: first.me.orders.pageInfo.endCursor });
    expect(second.me.orders.edges.map(({ node }) => node.id)).toEqual([placed[0]!.id]);
    expect(second.me.orders.pageInfo.hasNextPage).toBe(false);
    const awaiting = await shopper.client.data<Page>(query, { status: 'AWAITING_PAYMENT' });
    expect(awaiting.me.orders.edges.map(({ node }) => node.id)).toEqual([placed[0]!.id]);
    expect(awaiting.me.orders.totalCount).toBe(1);
    expect(await shopper.client.errorCodes(query, { after: 'nonsense' })).toEqual(['BAD_USER_INPUT']);
  });
});

describe('late payments', () => {
  it('expires an order whose payment was captured after its expiry, and refunds that payment', async () => {
    const order = await reservedOrder(world, buyer, [{ listingId: listing(), sellerId: seller.id, quantity: 1, amount: 650 }]);
    await publish(world, PaymentSucceeded, order.id, {
      paymentId: randomUUID(),
      orderId: order.id,
      amount: { amount: 650, currency: 'EUR' },
      paidAt: new Date(Date.parse(order.expiresAt) + 1000).toISOString(),
    });
    const expired = await waitForStatus(buyer.client, order.id, 'EXPIRED');
    expect(expired.statusHistory.map(({ status }) => status)).toEqual(['PENDING', 'AWAITING_PAYMENT', 'EXPIRED', 'EXPIRED']);
    expect((await eventsOf(world, order.id, 'OrderCancelled')).map(({ data }) => data.outcome)).toEqual(['EXPIRED', 'REFUNDED']);
    expect(await eventsOf(world, order.id, 'OrderPaid')).toEqual([]);
  });
});

describe('entity references', () => {
  it('resolves Order references in one batch, visible ones only', async () => {
    const mine = await placeOrder(buyer, [{ listingId: listing(), quantity: 1 }]);
    const stranger = await signUpAs(world.stack);
    const theirs = await placeOrder(stranger, [{ listingId: listing(), quantity: 1 }]);
    const token = await world.stack.tokens.issueAccessToken({ id: buyer.id, roles: ['BUYER'] });
    const { body } = await postToSubgraph(
      world.stack.services.orders!.url,
      {
        query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { id status } } }',
        variables: { r: [mine.id, theirs.id, randomUUID(), 'junk'].map((id) => ({ __typename: 'Order', id })) },
      },
      { secret: TEST_SUBGRAPH_SECRET, headers: { authorization: `Bearer ${token}` } },
    );
    expect(body.data?._entities).toEqual([{ id: mine.id, status: 'PENDING' }, null, null, null]);
  });
});
