import { randomUUID } from 'node:crypto';
import { settled, type GraphQLClient } from '@bazaar/testing';

/**
 * Helpers for the end-to-end checkout tests: every call goes through the router, as the web shop's
 * would. Users, tokens, books and listings come from @bazaar/testing (`signUpAs`, `mintedUser`,
 * `listBook`); buyers who never need their own account data get minted tokens (orders, carts and
 * payments only need a user id), which keeps 50-buyer tests fast.
 */

export const SHIPPING_ADDRESS = { name: 'Bea Buyer', line1: '1 Reading Lane', postalCode: '10115', city: 'Berlin', country: 'DE' };

export async function placeOrder(buyer: GraphQLClient, items: Array<{ listingId: string; quantity: number }>, idempotencyKey = randomUUID()) {
  const { placeOrder: payload } = await buyer.data<{ placeOrder: { order: { id: string; status: string } } }>(
    `mutation($input: PlaceOrderInput!, $key: String!) { placeOrder(input: $input, idempotencyKey: $key) { order { id status } } }`,
    { input: { items, shippingAddress: SHIPPING_ADDRESS }, key: idempotencyKey },
  );
  return payload.order;
}

export interface OrderView {
  id: string;
  status: string;
  total: { amount: number; currency: string } | null;
  payment: { status: string; amount: { amount: number } } | null;
}

export async function readOrder(buyer: GraphQLClient, orderId: string): Promise<OrderView> {
  const { order } = await buyer.data<{ order: OrderView }>(
    `query($id: ID!) { order(id: $id) { id status total { amount currency } payment { status amount { amount } } } }`,
    { id: orderId },
  );
  return order;
}

/** Waits until the order reaches `status` (the saga runs on events); fails with where it got stuck. */
export async function orderReaches(buyer: GraphQLClient, orderId: string, status: string, timeoutMs = 20_000): Promise<OrderView> {
  return settled(
    () => readOrder(buyer, orderId),
    (view) => view.status === status,
    (last) => `order ${orderId} stayed ${last.status}, expected ${status}`,
    timeoutMs,
  );
}

export async function payOrder(buyer: GraphQLClient, orderId: string, token = 'tok_visa', idempotencyKey = randomUUID()) {
  const { payOrder: payload } = await buyer.data<{ payOrder: { payment: { id: string; status: string } } }>(
    `mutation($input: PayOrderInput!) { payOrder(input: $input) { payment { id status } } }`,
    { input: { orderId, paymentMethodToken: token, idempotencyKey } },
  );
  return payload.payment;
}

export async function listingQuantity(client: GraphQLClient, listingId: string): Promise<number> {
  const { listing } = await client.data<{ listing: { quantity: number } }>(`query($id: ID!) { listing(id: $id) { quantity } }`, { id: listingId });
  return listing.quantity;
}
