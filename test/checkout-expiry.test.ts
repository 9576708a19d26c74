import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually, listBook, mintedUser, signUpAs, startTestStack, type GraphQLClient, type TestStack } from '@bazaar/testing';
import { listingQuantity, orderReaches, placeOrder } from './checkout-helpers';

/** Unpaid orders expire (here after 2 s) and give their stock back; an expired order cannot be paid. */
let stack: TestStack;
let seller: { id: string; client: GraphQLClient };

beforeAll(async () => {
  stack = await startTestStack({
    subgraphs: ['users', 'books', 'orders', 'payments'],
    env: { ORDER_PAYMENT_TTL_SECONDS: '2', ORDER_EXPIRY_SWEEP_MS: '200' },
  });
  seller = await signUpAs(stack, ['BUYER', 'SELLER'], 'Expiry Seller');
});
afterAll(async () => {
  await stack?.stop();
});

it('expires an unpaid order, releases its stock, and refuses to take its payment', async () => {
  const { listingId } = await listBook(seller.client, { title: 'Too Late', authors: ['Checkout Author'] }, { amount: 1800, quantity: 2, condition: 'NEW' });
  const buyer = await mintedUser(stack);
  const order = await placeOrder(buyer.client, [{ listingId, quantity: 2 }]);
  expect(await eventually(() => listingQuantity(stack.client, listingId), (quantity) => quantity === 0)).toBe(0);

  await orderReaches(buyer.client, order.id, 'EXPIRED', 15_000);
  expect(await eventually(() => listingQuantity(stack.client, listingId), (quantity) => quantity === 2)).toBe(2);

  const late = await eventually(
    () =>
      buyer.client.request(`mutation($input: PayOrderInput!) { payOrder(input: $input) { payment { status } } }`, {
        input: { orderId: order.id, paymentMethodToken: 'tok_visa', idempotencyKey: `late-${order.id}` },
      }),
    (result) => Boolean(result.errors),
  );
  expect(late.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  expect((await orderReaches(buyer.client, order.id, 'EXPIRED')).payment).toBeNull();
});
