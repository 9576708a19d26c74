import type pg from 'pg';
import type { Role } from '@bazaar/service';
import type { GraphQLClient, TestStack } from '@bazaar/testing';
import { isbn13From } from '../src/domain/isbn';

let counter = 0;

/** Signs a user up through the router and returns a client holding a token with the given roles. */
export async function signUpAs(stack: TestStack, roles: Role[], displayName = 'Tester'): Promise<{ id: string; client: GraphQLClient }> {
  const email = `books-${process.pid}-${++counter}-${Date.now()}@example.com`;
  const { signUp } = await stack.client.data<{ signUp: { user: { id: string } } }>(
    `mutation($input: SignUpInput!) { signUp(input: $input) { user { id } } }`,
    { input: { email, password: 'correct horse battery', displayName } },
  );
  const token = await stack.tokens.issueAccessToken({ id: signUp.user.id, roles });
  return { id: signUp.user.id, client: stack.client.withToken(token) };
}

/** A fresh valid ISBN-13 for each call in this process. */
let isbnCounter = Math.floor(Math.random() * 1e6);
export const nextIsbn = () => isbn13From(String(100_000_000 + (++isbnCounter % 899_999_999)).padStart(9, '0'));

export const CREATE_BOOK = /* GraphQL */ `
  mutation CreateBook($input: CreateBookInput!) {
    createBook(input: $input) { book { id isbn13 title authors { id name } genres language createdAt } }
  }
`;

export const CREATE_LISTING = /* GraphQL */ `
  mutation CreateListing($input: CreateListingInput!) {
    createListing(input: $input) { listing { id status quantity condition price { amount currency } seller { id } book { id } } }
  }
`;

export interface BookSpec {
  title: string;
  authors: string[];
  description?: string;
  genres?: string[];
  language?: string;
  publishedYear?: number;
}

export async function createBook(client: GraphQLClient, spec: BookSpec): Promise<{ id: string; isbn13: string; title: string }> {
  const { createBook: payload } = await client.data<{ createBook: { book: { id: string; isbn13: string; title: string } } }>(CREATE_BOOK, {
    input: { isbn: nextIsbn(), language: 'en', ...spec },
  });
  return payload.book;
}

export async function createListing(
  client: GraphQLClient,
  input: { bookId: string; condition?: string; amount: number; currency?: string; quantity?: number },
): Promise<{ id: string; status: string; quantity: number }> {
  const { createListing: payload } = await client.data<{ createListing: { listing: { id: string; status: string; quantity: number } } }>(
    CREATE_LISTING,
    {
      input: {
        bookId: input.bookId,
        condition: input.condition ?? 'GOOD',
        price: { amount: input.amount, currency: input.currency ?? 'EUR' },
        quantity: input.quantity ?? 1,
      },
    },
  );
  return payload.listing;
}

/** Counts rows of a books table straight from its database. */
export async function countRows(pool: pg.Pool, table: string, where = 'TRUE', values: unknown[] = []): Promise<number> {
  const { rows } = await pool.query<{ count: string }>(`SELECT count(*) FROM ${table} WHERE ${where}`, values);
  return Number(rows[0]!.count);
}
