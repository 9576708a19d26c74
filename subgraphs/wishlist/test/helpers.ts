import type { Role } from '@bazaar/service';
import type { GraphQLClient, TestStack } from '@bazaar/testing';

let counter = 0;

/** Signs a user up through the router; returns their id and a client holding a token with the given roles. */
export async function signUpAs(stack: TestStack, roles: Role[] = ['BUYER'], displayName = 'Shopper'): Promise<{ id: string; client: GraphQLClient }> {
  const email = `wishlist-${process.pid}-${++counter}-${Date.now()}@example.com`;
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
    { input: { isbn: isbn13(++isbnCounter), title, authors: ['Wishlist Tester'], language: 'en' } },
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

export const ITEM_FIELDS = /* GraphQL */ `id addedAt note targetPrice { amount currency } book { id }`;
export const ADD = `mutation($input: AddToWishlistInput!) { addToWishlist(input: $input) { item { ${ITEM_FIELDS} } } }`;
export const UPDATE = `mutation($input: UpdateWishlistItemInput!) { updateWishlistItem(input: $input) { item { ${ITEM_FIELDS} } } }`;
export const REMOVE = `mutation($bookId: ID!) { removeFromWishlist(bookId: $bookId) { removed wishlist { items { totalCount } } } }`;
export const MY_WISHLIST = `query($first: Int, $after: String) { me { wishlist { items(first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ${ITEM_FIELDS} } } } } } }`;

export interface ItemShape {
  id: string;
  addedAt: string;
  note: string | null;
  targetPrice: { amount: number; currency: string } | null;
  book: { id: string };
}
