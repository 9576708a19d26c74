import { randomUUID } from 'node:crypto';
import type { Role } from '@bazaar/service';
import { eventually, type GraphQLClient, type TestStack } from '@bazaar/testing';

/**
 * Helpers for the end-to-end checkout tests: every call goes through the router, as the web shop's
 * would. Buyers who never need their own account data get minted tokens (orders, carts and payments
 * only need a user id), which keeps 50-buyer tests fast.
 */
export async function signedUp(stack: TestStack, roles: Role[], displayName: string): Promise<{ id: string; client: GraphQLClient }> {
  const { signUp } = await stack.client.data<{ signUp: { user: { id: string } } }>(
    `mutation($input: SignUpInput!) { signUp(input: $input) { user { id } } }`,
    { input: { email: `${displayName.toLowerCase().replace(/\W/g, '')}-${randomUUID()}@example.com`, password: 'correct horse battery', displayName } },
  );
  return { id: signUp.user.id, client: stack.client.withToken(await stack.tokens.issueAccessToken({ id: signUp.user.id, roles })) };
}

export async function mintedBuyer(stack: TestStack): Promise<{ id: string; client: GraphQLClient }> {
  const id = randomUUID();
  return { id, client: stack.client.withToken(await stack.tokens.issueAccessToken({ id, roles: ['BUYER'] })) };
}

let isbnBody = Math.floor(Math.random() * 1e8);

/** A valid ISBN-13 (978 prefix) nobody used in this run. */
function freshIsbn(): string {
  const digits = `978${String(++isbnBody).padStart(9, '0').slice(-9)}`;
  const sum = [...digits].reduce((total, digit, index) => total + Number(digit) * (index % 2 === 0 ? 1 : 3), 0);
  return `${digits}${(10 - (sum % 10)) % 10}`;
}

/** A new book with one listing of `quantity` copies at `amount` EUR cents, by `seller`. */
export async function listBook(seller: GraphQLClient, title: string, amount: number, quantity: number): Promise<{ bookId: string; listingId: string }> {
  const { createBook } = await seller.data<{ createBook: { book: { id: string } } }>(
    `mutation($input: CreateBookInput!) { createBook(input: $input) { book { id } } }`,
    { input: { isbn: freshIsbn(), title, authors: ['Checkout Author'], language: 'en' } },
  );
  const { createListing } = await seller.data<{ createListing: { listing: { id: string } } }>(
    `mutation($input: CreateListingInput!) { createListing(input: $input) { listing { id } } }`,
    { input: { bookId: createBook.book.id, condition: 'NEW', price: { amount, currency: 'EUR' }, quantity } },
  );
  return { bookId: createBook.book.id, listingId: createListing.listing.id };
}

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
  const order = await eventually(() => readOrder(buyer, orderId), (view) => view.status === status, timeoutMs);
  if (order.status !== status) throw new Error(`order ${orderId} stayed ${order.status}, expected ${status}`);
  return order;
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
