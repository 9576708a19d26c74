import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listBook, signUpAs, startTestStack, type Actor, type TestStack } from '@bazaar/testing';
import { newKey, PLACE, ADDRESS, waitForStatus, type OrderShape } from './helpers';

/** The saga with the real catalog: books reserves (or refuses) what orders places, at the catalog's prices. */
let stack: TestStack;
let seller: Actor;
let buyer: Actor;
let listingId: string;
let bookId: string;

beforeAll(async () => {
  stack = await startTestStack({ subgraphs: ['users', 'books', 'orders'] });
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
});
