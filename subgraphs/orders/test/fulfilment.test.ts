import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUpAs, type Actor } from '@bazaar/testing';
import {
  CANCEL,
  CONFIRM,
  eventsOf,
  listing,
  paidOrder,
  readOrder,
  reservedOrder,
  SHIP,
  startOrdersWorld,
  type OrderShape,
  type OrdersWorld,
} from './helpers';

/** Sellers' views of their orders, shipping per seller, and the buyer confirming delivery. */
let world: OrdersWorld;
let buyer: Actor;
let alice: Actor;
let bob: Actor;

beforeAll(async () => {
  world = await startOrdersWorld();
  [buyer, alice, bob] = await Promise.all([
    signUpAs(world.stack, ['BUYER'], 'Buyer'),
    signUpAs(world.stack, ['BUYER', 'SELLER'], 'Alice'),
    signUpAs(world.stack, ['BUYER', 'SELLER'], 'Bob'),
  ]);
});
afterAll(async () => {
  await world?.stop();
});

const SELLER_ORDERS = `query($status: OrderStatus, $first: Int, $after: String) { sellerOrders(status: $status, first: $first, after: $after) {
  edges { cursor node { id status total { amount } lines { listing { id } seller { id } } } } pageInfo { hasNextPage endCursor } } }`;
interface SellerPage {
  sellerOrders: { edges: { node: { id: string; status: string; total: unknown; lines: { listing: { id: string }; seller: { id: string } }[] } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
}

const ship = (seller: Actor, id: string, carrier = 'DHL', tracking = 'TRACK-1') =>
  seller.client.data<{ shipFulfilment: { order: OrderShape } }>(SHIP, { id, carrier, tracking }).then(({ shipFulfilment }) => shipFulfilment.order);

describe('sellers', () => {
  it('see the orders with their listings, only their lines, filtered by status and paged', async () => {
    const [fromAlice, fromBob] = [listing(), listing()];
    const shared = await paidOrder(world, buyer, [
      { listingId: fromAlice, sellerId: alice.id, quantity: 1, amount: 1000 },
      { listingId: fromBob, sellerId: bob.id, quantity: 2, amount: 500 },
    ]);
    const awaiting = await reservedOrder(world, buyer, [{ listingId: listing(), sellerId: alice.id, quantity: 1, amount: 300 }]);

    const all = await alice.client.data<SellerPage>(SELLER_ORDERS, {});
    const ids = all.sellerOrders.edges.map(({ node }) => node.id);
    expect(ids.slice(0, 2)).toEqual([awaiting.id, shared.id]);
    const sharedAsAlice = all.sellerOrders.edges.find(({ node }) => node.id === shared.id)!.node;
    expect(sharedAsAlice.lines).toEqual([{ listing: { id: fromAlice }, seller: { id: alice.id } }]);
    expect(sharedAsAlice.total).toBeNull();

    const paid = await alice.client.data<SellerPage>(SELLER_ORDERS, { status: 'PAID' });
    expect(paid.sellerOrders.edges.map(({ node }) => node.id)).toContain(shared.id);
    expect(paid.sellerOrders.edges.map(({ node }) => node.id)).not.toContain(awaiting.id);
    const firstPage = await alice.client.data<SellerPage>(SELLER_ORDERS, { first: 1 });
    expect(firstPage.sellerOrders.pageInfo.hasNextPage).toBe(true);
    const nextPage = await alice.client.data<SellerPage>(SELLER_ORDERS, { first: 1, after: firstPage.sellerOrders.pageInfo.endCursor });
    expect(nextPage.sellerOrders.edges[0]?.node.id).toBe(shared.id);

    expect(await buyer.client.errorCodes(SELLER_ORDERS, {})).toEqual(['FORBIDDEN']);
    expect(await world.stack.client.errorCodes(SELLER_ORDERS, {})).toEqual(['UNAUTHENTICATED']);
  });
});

describe('shipping and delivery', () => {
  it('ships per seller (PARTIALLY_SHIPPED, then SHIPPED), refuses cancelling, and DELIVERED announces OrderDelivered', async () => {
    const [fromAlice, fromBob] = [listing(), listing()];
    const order = await paidOrder(world, buyer, [
      { listingId: fromAlice, sellerId: alice.id, quantity: 1, amount: 1000 },
      { listingId: fromBob, sellerId: bob.id, quantity: 2, amount: 500 },
    ]);
    expect(await buyer.client.errorCodes(CONFIRM, { id: order.id })).toEqual(['BAD_USER_INPUT']);

    const afterAlice = await ship(alice, order.id, 'DHL', 'DHL-123');
    expect(afterAlice.status).toBe('PARTIALLY_SHIPPED');
    expect(afterAlice.fulfilments).toMatchObject([{ seller: { id: alice.id }, status: 'SHIPPED', carrier: 'DHL', trackingNumber: 'DHL-123' }]);
    expect(afterAlice.lines).toHaveLength(1); // the seller's view
    expect(await alice.client.errorCodes(SHIP, { id: order.id, carrier: 'DHL', tracking: 'again' })).toEqual(['BAD_USER_INPUT']);

    const cancel = await buyer.client.request(CANCEL, { id: order.id });
    expect(cancel.errors?.[0]).toMatchObject({ message: 'This order has already been shipped and can no longer be cancelled.', extensions: { code: 'BAD_USER_INPUT' } });

    expect((await ship(bob, order.id, 'UPS', 'UPS-9')).status).toBe('SHIPPED');
    const shipped = await readOrder(buyer.client, order.id);
    expect(shipped.fulfilments.map(({ status }) => status)).toEqual(['SHIPPED', 'SHIPPED']);
    expect(shipped.statusHistory.map(({ status }) => status)).toEqual(['PENDING', 'AWAITING_PAYMENT', 'PAID', 'PARTIALLY_SHIPPED', 'SHIPPED']);

    expect(await alice.client.errorCodes(CONFIRM, { id: order.id })).toEqual(['FORBIDDEN']);
    const { confirmDelivery } = await buyer.client.data<{ confirmDelivery: { order: OrderShape } }>(CONFIRM, { id: order.id });
    expect(confirmDelivery.order.status).toBe('DELIVERED');
    expect(confirmDelivery.order.fulfilments.every(({ status, deliveredAt }) => status === 'DELIVERED' && deliveredAt)).toBe(true);
    expect(await eventsOf(world, order.id, 'OrderDelivered')).toMatchObject([
      {
        data: {
          orderId: order.id,
          buyerId: buyer.id,
          lines: [
            { listingId: fromAlice, bookId: `book-${fromAlice}`, quantity: 1, sellerId: alice.id, unitPrice: { amount: 1000 } },
            { listingId: fromBob, bookId: `book-${fromBob}`, quantity: 2, sellerId: bob.id, unitPrice: { amount: 500 } },
          ],
        },
      },
    ]);
    expect(await buyer.client.errorCodes(CONFIRM, { id: order.id })).toEqual(['BAD_USER_INPUT']);
    expect(await buyer.client.errorCodes(CANCEL, { id: order.id })).toEqual(['BAD_USER_INPUT']);
  });

  it('ships only paid orders, and only the seller\'s own part', async () => {
    const order = await reservedOrder(world, buyer, [{ listingId: listing(), sellerId: alice.id, quantity: 1, amount: 400 }]);
    expect(await alice.client.errorCodes(SHIP, { id: order.id, carrier: 'DHL', tracking: 'X' })).toEqual(['BAD_USER_INPUT']);
    expect(await bob.client.errorCodes(SHIP, { id: order.id, carrier: 'DHL', tracking: 'X' })).toEqual(['NOT_FOUND']);
    expect(await alice.client.errorCodes(SHIP, { id: order.id, carrier: '', tracking: 'X' })).toEqual(['BAD_USER_INPUT']);
    expect((await readOrder(buyer.client, order.id)).fulfilments[0]?.status).toBe('PENDING');
  });
});
