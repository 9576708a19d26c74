import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listBook, signUpAs, startTestStack, type Actor, type TestStack } from '@bazaar/testing';
import { newKey, PLACE, PLACE_AWAITING_STOCK, ADDRESS, waitForStatus, type OrderShape } from './helpers';

/** The saga with the real catalog: books reserves (or refuses) what orders places, at the catalog's prices. */
let stack: TestStack;
let seller: Actor;
let buyer: Actor;
let listingId: string;
let bookId: string;

beforeAll(async () => {
  // placeOrder(awaitStock: true) waits up to 8 s here (within the 10 s request budget): one event hop
  // each way, so its answer does not depend on the machine's speed.
  stack = await startTestStack({ subgraphs: ['users', 'books', 'orders'], env: { ORDERS_STOCK_WAIT_MS: '8000' } });
  [seller, buyer] = await Promise.all([signUpAs(stack, ['BUYER', 'SELLER'], 'Seller'), signUpAs(stack, ['BUYER'], 'Buyer')]);
  ({ bookId, listingId } = await listBook(seller.client, { title: 'The Orders Book', authors: ['Saga Tester'] }, { amount: 1234, currency: 'EUR', quantity: 3 }));
});
afterAll(async () => {
  await stack?.stop();
});

const place = async (quantity: number) =>
  (await buyer.client.data<{ placeOrder: { order: OrderShape } }>(PLACE, { input: { items: [{ listingId, quantity }], shippingAddress: ADDRESS }, key: newKey() })).placeOrder.order;

describe('with the real catalog', () => {
  it('is reserved at the catalog\'s price, or rejected when the stock is short', async () => {
    const reserved = await waitForStatus(buyer.client, (await place(2)).id, 'AWAITING_PAYMENT');
    expect(reserved).toMatchObject({
      total: { amount: 2468, currency: 'EUR' },
      lines: [{ listing: { id: listingId }, book: { id: bookId }, seller: { id: seller.id }, quantity: 2, unitPrice: { amount: 1234 } }],
    });
    const rejected = await waitForStatus(buyer.client, (await place(2)).id, 'REJECTED');
    expect(rejected.rejectionReasons).toEqual([{ listing: { id: listingId }, reason: 'INSUFFICIENT_STOCK', available: 1 }]);
  });

  it('answers placeOrder with the catalog\'s decision when asked to await it: AWAITING_PAYMENT with its total, or REJECTED', async () => {
    const { listingId: scarce, bookId: scarceBook } = await listBook(seller.client, { title: 'The Awaited Book', authors: ['Saga Tester'] }, { amount: 990, currency: 'EUR', quantity: 1 });
    const placeAwaiting = async () =>
      (
        await buyer.client.data<{ placeOrder: { order: OrderShape } }>(PLACE_AWAITING_STOCK, {
          input: { items: [{ listingId: scarce, quantity: 1 }], shippingAddress: ADDRESS },
          key: newKey(),
        })
      ).placeOrder.order;
    // The mutation's own answer, no polling.
    const reserved = await placeAwaiting();
    expect(reserved).toMatchObject({ status: 'AWAITING_PAYMENT', total: { amount: 990, currency: 'EUR' }, lines: [{ book: { id: scarceBook }, unitPrice: { amount: 990 } }] });
    expect(reserved.statusHistory.map(({ status }) => status)).toEqual(['PENDING', 'AWAITING_PAYMENT']);
    const rejected = await placeAwaiting();
    expect(rejected).toMatchObject({ status: 'REJECTED', total: null, rejectionReasons: [{ listing: { id: scarce }, reason: 'INSUFFICIENT_STOCK', available: 0 }] });
  });
});
