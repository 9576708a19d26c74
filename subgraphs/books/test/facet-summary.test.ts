import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBook, createListing, signUpAs, startTestStack, type GraphQLClient, type TestStack } from '@bazaar/testing';

/**
 * The facet summary (book_facet_counts, kept by statement triggers on books) stays equal to a count
 * from scratch while sellers and admins write the catalog at once through the router, and the
 * storefront's facets from the summary equal those computed over the matching books themselves.
 */
let stack: TestStack;
let db: pg.Pool;
let sellers: GraphQLClient[];
let admin: GraphQLClient;

beforeAll(async () => {
  stack = await startTestStack({ subgraphs: ['users', 'books'] });
  db = new pg.Pool({ connectionString: stack.databases.books!.url });
  const actors = await Promise.all([
    signUpAs(stack, ['BUYER', 'SELLER'], 'Sam Seller'),
    signUpAs(stack, ['BUYER', 'SELLER'], 'Olga Other'),
    signUpAs(stack, ['BUYER', 'ADMIN'], 'Ada Admin'),
  ]);
  sellers = [actors[0]!.client, actors[1]!.client];
  admin = actors[2]!.client;
});
afterAll(async () => {
  await db?.end();
  await stack?.stop();
});

const GENRES = ['Fantasy', 'Mystery', 'Poetry'];
const LANGUAGES = ['en', 'de', 'fr'];
const CONDITIONS = ['NEW', 'GOOD', 'ACCEPTABLE'];

/** Keys whose kept count differs from a count from scratch (none when the summary is right). */
async function summaryDrift(): Promise<unknown[]> {
  const { rows } = await db.query(`
    (SELECT scope, kind, value, count FROM book_facet_counts WHERE count <> 0 EXCEPT SELECT * FROM book_facet_counts_from_scratch())
    UNION ALL
    (SELECT * FROM book_facet_counts_from_scratch() EXCEPT SELECT scope, kind, value, count FROM book_facet_counts)`);
  return rows;
}

const FACETS = /* GraphQL */ `
  query($filter: BookFilter) {
    books(filter: $filter, first: 1) {
      totalCount
      facets { genres { value count } languages { value count } conditions { value count } price { min { amount } max { amount } } countsAreExact }
    }
  }`;

const mutate = (client: GraphQLClient, mutation: string, input: Record<string, unknown>) => client.data(mutation, { input });
const UPDATE_LISTING = 'mutation($input: UpdateListingInput!) { updateListing(input: $input) { listing { id } } }';
const UPDATE_BOOK = 'mutation($input: UpdateBookInput!) { updateBook(input: $input) { book { id } } }';

describe('facet summary', () => {
  it('stays equal to a count from scratch under concurrent catalog writes', async () => {
    // Books added at once, each with its own author (concurrent createBook with a shared new author conflicts).
    const books = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        createBook(sellers[i % 2]!, {
          title: `Summary Book ${i}`,
          authors: [`Summary Author ${i}`],
          genres: i % 4 === 3 ? [GENRES[i % 3]!, GENRES[(i + 1) % 3]!] : [GENRES[i % 3]!],
          language: LANGUAGES[i % 3]!,
        }),
      ),
    );
    expect(await summaryDrift()).toEqual([]);

    // Listings created at once, two sellers on the same books, in different conditions.
    const listings = await Promise.all(
      books.flatMap((book, i) => [
        createListing(sellers[0]!, book.id, { condition: CONDITIONS[i % 3]!, amount: 500 + i * 10, quantity: 2 }),
        createListing(sellers[1]!, book.id, { condition: CONDITIONS[(i + 1) % 3]!, amount: 900 + i * 10, quantity: 1 }),
      ]),
    );
    expect(await summaryDrift()).toEqual([]);

    // At once: sold out, price changes, condition changes, new books, genre and language edits, removals.
    await Promise.all([
      // listings[i] belongs to sellers[i % 2].
      ...listings.slice(0, 6).map((listing, i) => mutate(sellers[i % 2]!, UPDATE_LISTING, { id: listing.id, quantity: 0 })),
      ...listings.slice(6, 12).map((listing, i) => mutate(sellers[i % 2]!, UPDATE_LISTING, { id: listing.id, price: { amount: 333 + i, currency: 'EUR' } })),
      ...listings.slice(12, 16).map((listing) => mutate(admin, UPDATE_LISTING, { id: listing.id, condition: 'NEW' })),
      ...listings.slice(16, 20).map((listing) => admin.data('mutation($id: ID!) { removeListing(id: $id) { listing { id } } }', { id: listing.id })),
      ...books.slice(0, 4).map((book, i) => mutate(admin, UPDATE_BOOK, { id: book.id, genres: [GENRES[(i + 2) % 3]!, 'Travel'] })),
      ...books.slice(4, 6).map((book) => mutate(admin, UPDATE_BOOK, { id: book.id, language: 'es' })),
      ...Array.from({ length: 4 }, (_, i) =>
        createBook(sellers[i % 2]!, { title: `Summary Late ${i}`, authors: [`Summary Late Author ${i}`], genres: ['Travel'], language: 'en' }).then((book) =>
          createListing(sellers[i % 2]!, book.id, { condition: 'ACCEPTABLE', amount: 250 + i }),
        ),
      ),
    ]);
    expect(await summaryDrift()).toEqual([]);
    const { rows } = await db.query<{ count: number }>(`SELECT count FROM book_facet_counts WHERE scope = '' AND kind = 'book'`);
    expect(rows[0]!.count).toBe(16);
  });

  it('gives the same facets from the summary as counted over the matching books', async () => {
    for (const genre of ['Travel', 'Fantasy']) {
      // One genre is answered from the summary; the same genre named twice goes over the books themselves.
      const fromSummary = await stack.client.data<{ books: unknown }>(FACETS, { filter: { genres: [genre] } });
      const counted = await stack.client.data<{ books: unknown }>(FACETS, { filter: { genres: [genre, genre] } });
      expect(fromSummary.books).toEqual(counted.books);
      expect(fromSummary.books).toMatchObject({ facets: { countsAreExact: true } });
    }
    const all = await stack.client.data<{ books: { totalCount: number; facets: { languages: { count: number }[] } } }>(FACETS, {});
    expect(all.books.totalCount).toBe(16);
    expect(all.books.facets.languages.reduce((sum, { count }) => sum + count, 0)).toBe(16);
  });
});
