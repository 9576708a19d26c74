import type pg from 'pg';
import { settled, type GraphQLClient } from '@bazaar/testing';

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
  const row = await settled(
    () => projectedListing(pool, id),
    (value) => value !== undefined && done(value),
    (last) => `the cart's projection of listing ${id} never got there: ${JSON.stringify(last)}`,
  );
  return row!;
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

const MY_CART = `query { me { id cart { ${CART_FIELDS} } } }`;

export async function myCart(client: GraphQLClient): Promise<CartShape> {
  const { me } = await client.data<{ me: { cart: CartShape } }>(MY_CART);
  return me.cart;
}

export const ADD = `mutation($input: AddToCartInput!) { addToCart(input: $input) { cart { ${CART_FIELDS} } } }`;
export const UPDATE = `mutation($input: UpdateCartItemInput!) { updateCartItem(input: $input) { cart { ${CART_FIELDS} } } }`;
export const REMOVE = `mutation($input: RemoveFromCartInput!) { removeFromCart(input: $input) { cart { ${CART_FIELDS} } } }`;
export const CLEAR = `mutation($input: ClearCartInput) { clearCart(input: $input) { cart { ${CART_FIELDS} } } }`;
