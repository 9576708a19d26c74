import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, signUpAs, type Actor } from '@bazaar/testing';
import { eventsOf, listing, paymentSucceeded, placeOrder, readOrder, reserve, startOrdersWorld, waitForStatus, type OrdersWorld } from './helpers';

/** Unpaid orders expire (short TTL for this stack), and a payment arriving afterwards is refunded, never applied. */
let world: OrdersWorld;
let buyer: Actor;
let seller: Actor;

beforeAll(async () => {
  world = await startOrdersWorld({ ORDER_PAYMENT_TTL_SECONDS: '1', ORDER_EXPIRY_SWEEP_MS: '200' });
  [buyer, seller] = await Promise.all([signUpAs(world.stack, ['BUYER'], 'Buyer'), signUpAs(world.stack, ['BUYER', 'SELLER'], 'Seller')]);
}, 60_000);
afterAll(async () => {
  await world?.stop();
});

describe('expiry', () => {
  it('expires PENDING and AWAITING_PAYMENT orders past their expiry, releasing the stock', async () => {
    const pending = await placeOrder(buyer, [{ listingId: listing(), quantity: 1 }]);
    const item = listing();
    const awaiting = await placeOrder(buyer, [{ listingId: item, quantity: 2 }]);
    expect(Date.parse(awaiting.expiresAt) - Date.parse(awaiting.createdAt)).toBe(1000);
    await reserve(world, awaiting.id, [{ listingId: item, sellerId: seller.id, quantity: 2, amount: 100 }]);

    for (const order of [pending, awaiting]) {
      const expired = await waitForStatus(buyer.client, order.id, 'EXPIRED');
      expect(expired.statusHistory.at(-1)).toMatchObject({ status: 'EXPIRED', reason: 'Not paid in time.' });
      expect(await eventsOf(world, order.id, 'OrderCancelled')).toMatchObject([{ data: { outcome: 'EXPIRED', stockCommitted: false, buyerId: buyer.id } }]);
    }
  });

  it('answers a PaymentSucceeded for an expired order with OrderCancelled (REFUNDED), and never makes it paid', async () => {
    const item = listing();
    const order = await placeOrder(buyer, [{ listingId: item, quantity: 1 }]);
    await reserve(world, order.id, [{ listingId: item, sellerId: seller.id, quantity: 1, amount: 1500 }]);
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
