import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, signUpAs, type Actor } from '@bazaar/testing';
import { eventsOf, listing, paymentSucceeded, placeOrder, readOrder, reserve, startOrdersWorld, waitForStatus, type OrdersWorld } from './helpers';

/**
 * Unpaid orders expire, and a payment arriving afterwards is refunded, never applied. The TTL is an
 * hour; a test moves an order's deadline into the past once the order is where it wants it, so how
 * fast the machine reserves stock never decides which state an order expires from.
 */
let world: OrdersWorld;
let buyer: Actor;
let seller: Actor;

beforeAll(async () => {
  world = await startOrdersWorld({ ORDER_PAYMENT_TTL_SECONDS: '3600', ORDER_EXPIRY_SWEEP_MS: '200' });
  [buyer, seller] = await Promise.all([signUpAs(world.stack, ['BUYER'], 'Buyer'), signUpAs(world.stack, ['BUYER', 'SELLER'], 'Seller')]);
});
afterAll(async () => {
  await world?.stop();
});

/** Moves the order's payment deadline into the past: the next sweep expires it. */
const deadlinePasses = (orderId: string) => world.pool.query(`UPDATE orders SET expires_at = now() - interval '1 second' WHERE id = $1`, [orderId]);

describe('expiry', () => {
  it('expires PENDING and AWAITING_PAYMENT orders past their expiry, releasing the stock', async () => {
    const pending = await placeOrder(buyer, [{ listingId: listing(), quantity: 1 }]);
    const item = listing();
    const awaiting = await placeOrder(buyer, [{ listingId: item, quantity: 2 }]);
    expect(Date.parse(awaiting.expiresAt) - Date.parse(awaiting.createdAt)).toBe(3_600_000);
    await reserve(world, awaiting.id, [{ listingId: item, sellerId: seller.id, quantity: 2, amount: 100 }]);
    await waitForStatus(buyer.client, awaiting.id, 'AWAITING_PAYMENT');
    expect((await readOrder(buyer.client, pending.id)).status).toBe('PENDING');

    for (const [order, from] of [[pending, 'PENDING'], [awaiting, 'AWAITING_PAYMENT']] as const) {
      await deadlinePasses(order.id);
      const expired = await waitForStatus(buyer.client, order.id, 'EXPIRED');
      // It expired from the state this case is about, not from an earlier one.
      expect(expired.statusHistory.map(({ status }) => status).slice(-2)).toEqual([from, 'EXPIRED']);
      expect(expired.statusHistory.at(-1)).toMatchObject({ status: 'EXPIRED', reason: 'Not paid in time.' });
      expect(await eventsOf(world, order.id, 'OrderCancelled')).toMatchObject([{ data: { outcome: 'EXPIRED', stockCommitted: false, buyerId: buyer.id } }]);
    }
  });

  it('answers a PaymentSucceeded for an expired order with OrderCancelled (REFUNDED), and never makes it paid', async () => {
    const item = listing();
    const order = await placeOrder(buyer, [{ listingId: item, quantity: 1 }]);
    await reserve(world, order.id, [{ listingId: item, sellerId: seller.id, quantity: 1, amount: 1500 }]);
    await waitForStatus(buyer.client, order.id, 'AWAITING_PAYMENT');
    await deadlinePasses(order.id);
    await waitForStatus(buyer.client, order.id, 'EXPIRED');

    await paymentSucceeded(world, order.id, 1500, { times: 2 });
    const cancellations = await eventually(() => eventsOf(world, order.id, 'OrderCancelled'), (rows) => rows.length >= 2);
    expect(cancellations.map(({ data }) => data.outcome)).toEqual(['EXPIRED', 'REFUNDED']);
    expect(cancellations[1]).toMatchObject({ data: { stockCommitted: false, lines: [{ listingId: item, quantity: 1 }] } });
    const after = await readOrder(buyer.client, order.id);
    expect(after.status).toBe('EXPIRED');
    expect(after.statusHistory.at(-1)?.reason).toMatch(/arrived after the order was EXPIRED; it is refunded/);
    expect(await eventsOf(world, order.id, 'OrderPaid')).toEqual([]);
  });
});
