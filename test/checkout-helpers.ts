import { randomUUID } from 'node:crypto';
import { eventually, listBook, settled, signUpAs, startTestStack, type GraphQLClient, type TestStack } from '@bazaar/testing';

/**
 * Helpers for the end-to-end checkout tests: every call goes through the router, as the web shop's
 * would. Users, tokens, books and listings come from @bazaar/testing (`signUpAs`, `mintedUser`,
 * `listBook`); buyers who never need their own account data get minted tokens (orders, carts and
 * payments only need a user id), which keeps 50-buyer tests fast.
 */

export const SHIPPING_ADDRESS = { name: 'Bea Buyer', line1: '1 Reading Lane', postalCode: '10115', city: 'Berlin', country: 'DE' };

/** Every service a checkout passes through, and a seller to list books. */
export async function startCheckoutStack(sellerName: string): Promise<{ stack: TestStack; seller: { id: string; client: GraphQLClient } }> {
  const stack = await startTestStack({ subgraphs: ['users', 'books', 'cart', 'orders', 'payments'] });
  return { stack, seller: await signUpAs(stack, ['BUYER', 'SELLER'], sellerName) };
}

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

/** A new seller lists a book, a new buyer orders one copy and pays; resolves with the order id once it is PAID. */
export async function checkoutOnce(stack: TestStack): Promise<string> {
  const seller = await signUpAs(stack, ['BUYER', 'SELLER'], 'Checkout Seller');
  const { listingId } = await listBook(seller.client, { title: 'One Checkout' }, { amount: 1200, quantity: 3, condition: 'NEW' });
  const buyer = await signUpAs(stack, ['BUYER'], 'Checkout Buyer');
  const order = await eventually(
    () => placeOrder(buyer.client, [{ listingId, quantity: 1 }]).catch((error: Error) => ({ id: '', status: error.message })),
    (result) => result.status === 'PENDING',
  );
  await orderReaches(buyer.client, order.id, 'AWAITING_PAYMENT');
  await eventually(
    () => payOrder(buyer.client, order.id).catch((error: Error) => ({ status: error.message })),
    (result) => result.status === 'SUCCEEDED',
  );
  await orderReaches(buyer.client, order.id, 'PAID');
  return order.id;
}
