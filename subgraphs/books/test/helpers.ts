import type pg from 'pg';

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

/** A book as the books tests describe one (the input of `createBook` from @bazaar/testing, minus the ISBN). */
export interface BookSpec {
  title: string;
  authors: string[];
  description?: string;
  genres?: string[];
  language?: string;
  publishedYear?: number;
}

/** Counts rows of a books table straight from its database. */
export async function countRows(pool: pg.Pool, table: string, where = 'TRUE', values: unknown[] = []): Promise<number> {
  const { rows } = await pool.query<{ count: string }>(`SELECT count(*) FROM ${table} WHERE ${where}`, values);
  return Number(rows[0]!.count);
}
