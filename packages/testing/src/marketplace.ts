import { randomUUID } from 'node:crypto';
import type { Role } from '@bazaar/service';
import type { GraphQLClient } from './client';
import { eventually } from './sql';
import type { TestStack } from './stack';

/**
 * Marketplace helpers shared by the subgraphs' and the end-to-end tests: users, tokens, books and
 * listings made through the router, as a client would make them. Service-specific helpers (reading a
 * service's own tables, its GraphQL documents) stay with that service's tests.
 */

/** A user the tests act as: their id and a client holding their token. */
export interface Actor {
  id: string;
  client: GraphQLClient;
}

/**
 * Signs a real account up through the router (so `displayName` and the like resolve) and returns a
 * client holding a token minted with the stack's key for the given roles.
 */
export async function signUpAs(stack: TestStack, roles: Role[] = ['BUYER'], displayName = 'Tester'): Promise<Actor> {
  const slug = displayName.toLowerCase().replace(/\W/g, '') || 'user';
  const { signUp } = await stack.client.data<{ signUp: { user: { id: string } } }>(
    `mutation($input: SignUpInput!) { signUp(input: $input) { user { id } } }`,
    { input: { email: `${slug}-${randomUUID()}@example.com`, password: 'correct horse battery', displayName } },
  );
  const token = await stack.tokens.issueAccessToken({ id: signUp.user.id, roles });
  return { id: signUp.user.id, client: stack.client.withToken(token) };
}

/**
 * A client with a token for a fresh random user id and no account behind it: enough for subgraphs that
 * only need the caller's id (carts, orders, payments, reviews), and fast for many-user tests.
 */
export async function mintedUser(stack: TestStack, roles: Role[] = ['BUYER']): Promise<Actor> {
  const id = randomUUID();
  return { id, client: stack.client.withToken(await stack.tokens.issueAccessToken({ id, roles })) };
}

/** The ISBN-13 (978 prefix) with this 9-digit body (longer bodies keep their last 9 digits). */
export function isbn13(body: number): string {
  const digits = `978${String(body).padStart(9, '0').slice(-9)}`;
  const sum = [...digits].reduce((total, digit, index) => total + Number(digit) * (index % 2 === 0 ? 1 : 3), 0);
  return `${digits}${(10 - (sum % 10)) % 10}`;
}

let isbnCounter = Math.floor(Math.random() * 1e8);

/** A valid ISBN-13 (978 prefix) that no other call in this test file returns. */
export const freshIsbn13 = (): string => isbn13(++isbnCounter);

/** What `createBook` sends; everything but the ISBN has a default. */
export interface BookInput {
  isbn: string;
  title: string;
  authors: string[];
  description?: string;
  genres?: string[];
  language: string;
  publishedYear?: number;
}

export interface CreatedBook {
  id: string;
  isbn13: string;
  title: string;
}

/** Creates a book through the books subgraph as `seller`; what `input` leaves out (or undefined) gets a default, the ISBN a fresh one. */
export async function createBook(seller: GraphQLClient, input: Partial<BookInput> = {}): Promise<CreatedBook> {
  const { isbn = freshIsbn13(), title = 'A Test Book', authors = ['Test Author'], language = 'en', ...rest } = input;
  const { createBook: payload } = await seller.data<{ createBook: { book: CreatedBook } }>(
    `mutation($input: CreateBookInput!) { createBook(input: $input) { book { id isbn13 title } } }`,
    { input: { isbn, title, authors, language, ...rest } },
  );
  return payload.book;
}

/** What `createListing` sends; the price is `amount` minor units of `currency`. */
export interface ListingInput {
  amount?: number;
  currency?: string;
  quantity?: number;
  condition?: string;
}

export interface CreatedListing {
  id: string;
  status: string;
  quantity: number;
}

/** Lists `bookId` through the books subgraph as `seller`: by default one GOOD copy at 10.00 EUR. */
export async function createListing(seller: GraphQLClient, bookId: string, input: ListingInput = {}): Promise<CreatedListing> {
  const { amount = 1000, currency = 'EUR', quantity = 1, condition = 'GOOD' } = input;
  const { createListing: payload } = await seller.data<{ createListing: { listing: CreatedListing } }>(
    `mutation($input: CreateListingInput!) { createListing(input: $input) { listing { id status quantity } } }`,
    { input: { bookId, condition, price: { amount, currency }, quantity } },
  );
  return payload.listing;
}

/** A new book with one listing of it, by `seller`. */
export async function listBook(seller: GraphQLClient, book: Partial<BookInput> = {}, listing: ListingInput = {}): Promise<{ bookId: string; listingId: string }> {
  const { id: bookId } = await createBook(seller, book);
  const { id: listingId } = await createListing(seller, bookId, listing);
  return { bookId, listingId };
}

/**
 * Waits (via `eventually`) until `read` gives a value `done` accepts, e.g. until a service's projection
 * caught up with an event; fails with `failure(last value)` if it never does.
 */
export async function settled<T>(read: () => Promise<T>, done: (value: T) => boolean, failure: (last: T) => string, timeoutMs?: number): Promise<T> {
  const value = await eventually(read, done, timeoutMs);
  if (!done(value)) throw new Error(failure(value));
  return value;
}
