import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, listBook, signUpAs, type GraphQLClient, type TestStack } from '@bazaar/testing';
import { orderReaches, placeOrder, startCheckoutStack } from './checkout-helpers';

/** Totals have a documented maximum (MAX_TOTAL_AMOUNT = 1,000,000,000 minor units); above it, a clear refusal, never an internal error. */
let stack: TestStack;
let seller: { id: string; client: GraphQLClient };

beforeAll(async () => void ({ stack, seller } = await startCheckoutStack('Rare Books Seller')));
afterAll(async () => stack?.stop());

describe('money fits', () => {
  it('refuses a cart subtotal above the maximum with BAD_USER_INPUT naming it, and rejects such an order', async () => {
    // €1,000,000.00 a copy (the catalog's highest price); 11 copies would be €11,000,000.00.
    const { listingId } = await listBook(seller.client, { title: 'The Priceless Folio', authors: ['Expensive Author'] }, { amount: 100_000_000, quantity: 20, condition: 'NEW' });
    const buyer = await signUpAs(stack);
    const ADD = `mutation($id: ID!, $quantity: Int!) { addToCart(input: { listingId: $id, quantity: $quantity }) { cart { subtotal { amount currency } } } }`;
    await eventually(() => buyer.client.request(ADD, { id: listingId, quantity: 10 }), (result) => !result.errors);
    const refused = await buyer.client.request(ADD, { id: listingId, quantity: 1 });
    console.log(`cart subtotal above the maximum: ${JSON.stringify(refused.errors?.[0]?.extensions)} — ${refused.errors?.[0]?.message}`);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', maximum: 1_000_000_000 });
    expect(refused.errors?.[0]?.message).toContain('MAX_TOTAL_AMOUNT');
    const { me } = await buyer.client.data<{ me: { cart: { subtotal: { amount: number }[] } } }>(`{ me { cart { subtotal { amount } } } }`);
    expect(me.cart.subtotal).toEqual([{ amount: 1_000_000_000 }]);

    const order = await placeOrder(buyer.client, [{ listingId, quantity: 11 }]);
    await orderReaches(buyer.client, order.id, 'REJECTED');
    const { order: rejected } = await buyer.client.data<{ order: { rejectionReasons: { reason: string }[] } }>(
      `query($id: ID!) { order(id: $id) { rejectionReasons { reason } } }`,
      { id: order.id },
    );
    expect(rejected.rejectionReasons).toEqual([{ reason: 'TOTAL_TOO_LARGE' }]);
  });
});
