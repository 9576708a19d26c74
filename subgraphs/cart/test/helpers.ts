import type pg from 'pg';
import type { Role } from '@bazaar/service';
import { eventually, type GraphQLClient, type TestStack } from '@bazaar/testing';

let counter = 0;

/** Signs a user up through the router; returns their id and a client holding a token with the given roles. */
export async function signUpAs(stack: TestStack, roles: Role[] = ['BUYER'], displayName = 'Shopper'): Promise<{ id: string; client: GraphQLClient }> {
  const email = `cart-${process.pid}-${++counter}-${Date.now()}@example.com`;
  const { signUp } = await stack.client.data<{ signUp: { user: { id: string } } }>(
    `mutation($input: SignUpInput!) { signUp(input: $input) { user { id } } }`,
    { input: { email, password: 'correct horse battery', displayName } },
  );
  const token = await stack.tokens.issueAccessToken({ id: signUp.user.id, roles });
  return { id: signUp.user.id, client: stack.client.withToken(token) };
}

/** A valid ISBN-13 (978 prefix) from a 9-digit body. */
export function isbn13(body: number): string {
  const digits = `978${String(body).padStart(9, '0').slice(-9)}`;
  const sum = [...digits].reduce((total, digit, index) => total + Number(digit) * (index % 2 === 0 ? 1 : 3), 0);
  return `${digits}${(10 - (sum % 10)) % 10}`;
}
let isbnCounter = Math.floor(Math.random() * 1e8);

export async function createBook(seller: GraphQLClient, title: string): Promise<string> {
  const { createBook: payload } = await seller.data<{ createBook: { book: { id: string } } }>(
    `mutation($input: CreateBookInput!) { createBook(input: $input) { book { id } } }`,
    { input: { isbn: isbn13(++isbnCounter), title, authors: ['Cart Tester'], language: 'en' } },
  );
  return payload.book.id;
}

export async function createListing(seller: GraphQLClient, bookId: string, amount: number, quantity: number, currency = 'EUR'): Promise<string> {
  const { createListing: payload } = await seller.data<{ createListing: { listing: { id: string } } }>(
    `mutation($input: CreateListingInput!) { createListing(input: $input) { listing { id } } }`,
    { input: { bookId, condition: 'GOOD', price: { amount, currency }, quantity } },
  );
  return payload.listing.id;
}

export interface ProjectedListing {
  price_amount: number | null;
  currency: string | null;
  quantity: number;
  status: string;
  removed_at: Date | null;
}

/** Reads the cart's projection straight from its database. */
export const projectedListing = async (pool: pg.Pool, id: string) =>
  (await pool.query<ProjectedListing>('SELECT price_amount, currency, quantity, status, removed_at FROM listings WHERE id = $1', [id])).rows[0];

/** Waits until the cart's projection of a listing satisfies `done`. */
export async function waitForListing(pool: pg.Pool, id: string, done: (row: ProjectedListing) => boolean = () => true): Promise<ProjectedListing> {
  const row = await eventually(() => projectedListing(pool, id), (value) => value !== undefined && done(value));
  if (!row || !done(row)) throw new Error(`the cart's projection of listing ${id} never got there: ${JSON.stringify(row)}`);
  return row;
}

export const CART_FIELDS = /* GraphQL */ `
  itemCount
  updatedAt
  subtotal { amount currency }
  items { id quantity addedAt availableQuantity listing { id } unitPrice { amount currency } acceptedUnitPrice { amount currency } lineTotal { amount currency } }
  problems { kind message availableQuantity previousPrice { amount currency } currentPrice { amount currency } item { listing { id } } }
`;

export interface CartShape {
  itemCount: number;
  updatedAt: string | null;
  subtotal: { amount: number; currency: string }[];
  items: {
    id: string;
    quantity: number;
    addedAt: string;
    availableQuantity: number;
    listing: { id: string };
    unitPrice: { amount: number; currency: string };
    acceptedUnitPrice: { amount: number; currency: string };
    lineTotal: { amount: number; currency: string };
  }[];
  problems: {
    kind: string;
    message: string;
    availableQuantity: number | null;
    previousPrice: { amount: number; currency: string } | null;
    currentPrice: { amount: number; currency: string } | null;
    item: { listing: { id: string } };
  }[];
}

export const MY_CART = `query { me { id cart { ${CART_FIELDS} } } }`;

export async function myCart(client: GraphQLClient): Promise<CartShape> {
  const { me } = await client.data<{ me: { cart: CartShape } }>(MY_CART);
  return me.cart;
}

export const ADD = `mutation($input: AddToCartInput!) { addToCart(input: $input) { cart { ${CART_FIELDS} } } }`;
export const UPDATE = `mutation($input: UpdateCartItemInput!) { updateCartItem(input: $input) { cart { ${CART_FIELDS} } } }`;
export const REMOVE = `mutation($input: RemoveFromCartInput!) { removeFromCart(input: $input) { cart { ${CART_FIELDS} } } }`;
export const CLEAR = `mutation($input: ClearCartInput) { clearCart(input: $input) { cart { ${CART_FIELDS} } } }`;
