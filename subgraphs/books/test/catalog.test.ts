import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBook, createListing, freshIsbn13, signUpAs, startTestStack, type GraphQLClient, type TestStack } from '@bazaar/testing';
import { countRows, CREATE_BOOK, CREATE_LISTING } from './helpers';

let stack: TestStack;
let db: pg.Pool;
let seller: { id: string; client: GraphQLClient };
let otherSeller: { id: string; client: GraphQLClient };
let buyer: { id: string; client: GraphQLClient };
let admin: { id: string; client: GraphQLClient };

beforeAll(async () => {
  stack = await startTestStack({ subgraphs: ['users', 'books'] });
  db = new pg.Pool({ connectionString: stack.databases.books!.url });
  [seller, otherSeller, buyer, admin] = await Promise.all([
    signUpAs(stack, ['BUYER', 'SELLER'], 'Sam Seller'),
    signUpAs(stack, ['BUYER', 'SELLER'], 'Olga Other'),
    signUpAs(stack, ['BUYER'], 'Bea Buyer'),
    signUpAs(stack, ['BUYER', 'ADMIN'], 'Ada Admin'),
  ]);
});
afterAll(async () => {
  await db?.end();
  await stack?.stop();
});

const outboxTypes = async (key: string) =>
  (await db.query<{ type: string }>('SELECT type FROM outbox_events WHERE key = $1 ORDER BY position', [key])).rows.map(({ type }) => type);

describe('books', () => {
  it('creates a book from an ISBN-10, converted to its ISBN-13, with authors, and announces it', async () => {
    const { createBook: payload } = await seller.client.data<{ createBook: { book: Record<string, unknown> } }>(CREATE_BOOK, {
      input: {
        // ISBN-10 0-306-40615-2 is ISBN-13 978-0-306-40615-7
        isbn: '0-306-40615-2',
        title: '  The Physics of Ships ',
        authors: ['Ada  Lovelace', 'Charles Babbage'],
        genres: ['Science', 'History'],
        language: 'EN',
      },
    });
    expect(payload.book).toMatchObject({
      isbn13: '9780306406157',
      title: 'The Physics of Ships',
      authors: [{ name: 'Ada Lovelace' }, { name: 'Charles Babbage' }],
      genres: ['Science', 'History'],
      language: 'en',
    });
    expect(await outboxTypes(payload.book.id as string)).toEqual(['BookCreated']);

    const { bookByIsbn } = await stack.client.data<{ bookByIsbn: { id: string } }>(`{ bookByIsbn(isbn: "978-0-306-40615-7") { id } }`);
    expect(bookByIsbn.id).toBe(payload.book.id);
    const { book } = await stack.client.data<{ book: { title: string; inStock: boolean; lowestPrice: null } }>(
      `query($id: ID!) { book(id: $id) { title inStock lowestPrice { amount } } }`,
      { id: payload.book.id },
    );
    expect(book).toEqual({ title: 'The Physics of Ships', inStock: false, lowestPrice: null });
  });

  it('refuses a known ISBN with CONFLICT naming the existing book, whichever form it is typed in', async () => {
    const isbn = freshIsbn13();
    const { createBook: first } = await seller.client.data<{ createBook: { book: { id: string } } }>(CREATE_BOOK, {
      input: { isbn, title: 'Original', authors: ['A. Writer'], language: 'en' },
    });
    const before = await countRows(db, 'books');
    const hyphenated = `${isbn.slice(0, 3)}-${isbn.slice(3, 8)}-${isbn.slice(8)}`;
    const result = await otherSeller.client.request(CREATE_BOOK, { input: { isbn: hyphenated, title: 'Copy', authors: ['B'], language: 'en' } });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', existingBookId: first.book.id });
    expect(await countRows(db, 'books')).toBe(before);
  });

  it('lets only sellers and admins create books', async () => {
    const input = { isbn: freshIsbn13(), title: 'Nope', authors: ['X'], language: 'en' };
    expect(await buyer.client.errorCodes(CREATE_BOOK, { input })).toEqual(['FORBIDDEN']);
    expect(await stack.client.errorCodes(CREATE_BOOK, { input })).toEqual(['UNAUTHENTICATED']);
    const { createBook: payload } = await admin.client.data<{ createBook: { book: { id: string } } }>(CREATE_BOOK, { input });
    expect(payload.book.id).toBeTruthy();
  });

  it.each([
    ['a bad ISBN check digit', { isbn: '9780306406158' }, 'isbn'],
    ['an ISBN of the wrong length', { isbn: '12345' }, 'isbn'],
    ['an empty title', { title: '   ' }, 'title'],
    ['no authors', { authors: [] }, 'authors'],
    ['an unknown language code', { language: 'english' }, 'language'],
    ['a made-up language code', { language: 'xx' }, 'language'],
    ['a negative page count', { pageCount: -3 }, 'pageCount'],
    ['a year in the future', { publishedYear: 3000 }, 'publishedYear'],
    ['a cover that is not a URL', { coverUrl: 'javascript:alert(1)' }, 'coverUrl'],
  ])('rejects %s with BAD_USER_INPUT and writes nothing', async (_case, override, field) => {
    const before = await Promise.all([countRows(db, 'books'), countRows(db, 'authors'), countRows(db, 'outbox_events')]);
    const result = await seller.client.request(CREATE_BOOK, {
      input: { isbn: freshIsbn13(), title: 'Valid', authors: [`Unique Author ${field}`], language: 'en', ...override },
    });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [expect.objectContaining({ field })] });
    expect(await Promise.all([countRows(db, 'books'), countRows(db, 'authors'), countRows(db, 'outbox_events')])).toEqual(before);
  });

  it('lets only admins update a book, and announces what changed', async () => {
    const book = await createBook(seller.client, { title: 'Typo Titel', authors: ['Some One'] });
    const UPDATE = `mutation($input: UpdateBookInput!) { updateBook(input: $input) { book { title authors { name } genres } } }`;
    expect(await seller.client.errorCodes(UPDATE, { input: { id: book.id, title: 'Mine now' } })).toEqual(['FORBIDDEN']);
    const { updateBook } = await admin.client.data<{ updateBook: { book: unknown } }>(UPDATE, {
      input: { id: book.id, title: 'Typo Title', authors: ['Some One', 'Another'], genres: ['Poetry'] },
    });
    expect(updateBook.book).toEqual({ title: 'Typo Title', authors: [{ name: 'Some One' }, { name: 'Another' }], genres: ['Poetry'] });
    expect(await outboxTypes(book.id)).toEqual(['BookCreated', 'BookUpdated']);
    const { rows } = await db.query(`SELECT envelope->'data'->'changedFields' AS fields FROM outbox_events WHERE key = $1 AND type = 'BookUpdated'`, [book.id]);
    expect(rows[0].fields).toEqual(['title', 'genres', 'authors']);
    expect(await admin.client.errorCodes(UPDATE, { input: { id: '0190a1c4-0000-7000-8000-000000000000', title: 'X' } })).toEqual(['NOT_FOUND']);
  });
});

describe('listings', () => {
  const LISTING = `query($id: ID!) { listing(id: $id) { id status quantity price { amount currency } seller { id displayName } book { id title lowestPrice { amount currency } inStock } } }`;

  it('creates a listing for the signed-in seller, resolving the seller through users', async () => {
    const book = await createBook(seller.client, { title: 'Listed Book', authors: ['Lister'] });
    const listing = await createListing(seller.client, book.id, { amount: 1299, currency: 'eur', quantity: 2 });
    const { listing: read } = await stack.client.data<{ listing: unknown }>(LISTING, { id: listing.id });
    expect(read).toEqual({
      id: listing.id,
      status: 'ACTIVE',
      quantity: 2,
      price: { amount: 1299, currency: 'EUR' },
      seller: { id: seller.id, displayName: 'Sam Seller' },
      book: { id: book.id, title: 'Listed Book', lowestPrice: { amount: 1299, currency: 'EUR' }, inStock: true },
    });
    expect(await outboxTypes(listing.id)).toEqual(['ListingCreated']);

    const { user } = await stack.client.data<{ user: { displayName: string; listings: { totalCount: number; edges: { node: { id: string } }[] } } }>(
      `query($id: ID!) { user(id: $id) { displayName listings { totalCount edges { node { id } } } } }`,
      { id: seller.id },
    );
    expect(user.displayName).toBe('Sam Seller');
    expect(user.listings.edges.map(({ node }) => node.id)).toContain(listing.id);
  });

  it('takes many listings of one book at once, and keeps its lowest price right', async () => {
    const book = await createBook(seller.client, { title: 'Popular', authors: ['Crowd'] });
    const amounts = Array.from({ length: 12 }, (_, index) => 900 + ((index * 7) % 12) * 10);
    await Promise.all(amounts.map((amount, index) => createListing(index % 2 ? seller.client : otherSeller.client, book.id, { amount })));
    const { book: read } = await stack.client.data<{ book: { lowestPrice: { amount: number }; listings: { totalCount: number } } }>(
      `query($id: ID!) { book(id: $id) { lowestPrice { amount } listings { totalCount } } }`,
      { id: book.id },
    );
    expect(read).toEqual({ lowestPrice: { amount: Math.min(...amounts) }, listings: { totalCount: 12 } });
  });

  it('requires the SELLER role to list', async () => {
    const book = await createBook(seller.client, { title: 'Buyer cannot sell', authors: ['Someone'] });
    const input = { bookId: book.id, condition: 'NEW', price: { amount: 500, currency: 'EUR' }, quantity: 1 };
    expect(await buyer.client.errorCodes(CREATE_LISTING, { input })).toEqual(['FORBIDDEN']);
    expect(await seller.client.errorCodes(CREATE_LISTING, { input: { ...input, bookId: '0190a1c4-0000-7000-8000-000000000000' } })).toEqual([
      'NOT_FOUND',
    ]);
  });

  it.each([
    ['a negative price', { price: { amount: -100, currency: 'EUR' } }, 'price.amount'],
    ['a zero price', { price: { amount: 0, currency: 'EUR' } }, 'price.amount'],
    ['an unknown currency', { price: { amount: 100, currency: 'XYZ' } }, 'price.currency'],
    ['a negative quantity', { quantity: -1 }, 'quantity'],
  ])('rejects %s with BAD_USER_INPUT and writes nothing', async (_case, override, field) => {
    const book = await createBook(seller.client, { title: `Bad input ${field}`, authors: ['Validator'] });
    const before = await Promise.all([countRows(db, 'listings'), countRows(db, 'outbox_events')]);
    const result = await seller.client.request(CREATE_LISTING, {
      input: { bookId: book.id, condition: 'GOOD', price: { amount: 100, currency: 'EUR' }, quantity: 1, ...override },
    });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [expect.objectContaining({ field })] });
    expect(await Promise.all([countRows(db, 'listings'), countRows(db, 'outbox_events')])).toEqual(before);
  });

  it('lets only the listing\'s seller or an admin change it', async () => {
    const book = await createBook(seller.client, { title: 'Owned', authors: ['Owner'] });
    const listing = await createListing(seller.client, book.id, { amount: 1000, quantity: 1 });
    const mutations: [string, Record<string, unknown>][] = [
      ['mutation($input: UpdateListingInput!) { updateListing(input: $input) { listing { id } } }', { input: { id: listing.id, price: { amount: 1, currency: 'EUR' } } }],
      ['mutation($id: ID!) { pauseListing(id: $id) { listing { id } } }', { id: listing.id }],
      ['mutation($id: ID!) { removeListing(id: $id) { listing { id } } }', { id: listing.id }],
      ['mutation($input: RestockListingInput!) { restockListing(input: $input) { listing { id } } }', { input: { id: listing.id, quantity: 5 } }],
    ];
    for (const [mutation, variables] of mutations) {
      expect(await otherSeller.client.errorCodes(mutation, variables), mutation).toEqual(['FORBIDDEN']);
      expect(await buyer.client.errorCodes(mutation, variables), mutation).toEqual(['FORBIDDEN']);
    }
    const { rows } = await db.query('SELECT price_amount, quantity, status FROM listings WHERE id = $1', [listing.id]);
    expect(rows[0]).toEqual({ price_amount: 1000, quantity: 1, status: 'ACTIVE' });
    expect(await outboxTypes(listing.id)).toEqual(['ListingCreated']);

    const { pauseListing } = await admin.client.data<{ pauseListing: { listing: { status: string } } }>(
      'mutation($id: ID!) { pauseListing(id: $id) { listing { status } } }',
      { id: listing.id },
    );
    expect(pauseListing.listing.status).toBe('PAUSED');
  });

  it('walks a listing through price change, sell-out, restock, pause and removal, announcing each change', async () => {
    const book = await createBook(seller.client, { title: 'Lifecycle', authors: ['Cycle'] });
    const listing = await createListing(seller.client, book.id, { amount: 2000, quantity: 1 });
    const run = <T>(query: string, variables: Record<string, unknown>) => seller.client.data<T>(query, variables);
    const state = async () =>
      (await stack.client.data<{ listing: { status: string; quantity: number; price: { amount: number }; book: { inStock: boolean; lowestPrice: { amount: number } | null } } }>(LISTING, { id: listing.id })).listing;

    await run('mutation($input: UpdateListingInput!) { updateListing(input: $input) { listing { id } } }', {
      input: { id: listing.id, price: { amount: 1500, currency: 'EUR' } },
    });
    expect(await state()).toMatchObject({ price: { amount: 1500 }, book: { lowestPrice: { amount: 1500 } } });

    await run('mutation($input: UpdateListingInput!) { updateListing(input: $input) { listing { id } } }', { input: { id: listing.id, quantity: 0 } });
    expect(await state()).toMatchObject({ status: 'SOLD_OUT', quantity: 0, book: { inStock: false, lowestPrice: null } });

    await run('mutation($input: RestockListingInput!) { restockListing(input: $input) { listing { id } } }', { input: { id: listing.id, quantity: 3 } });
    expect(await state()).toMatchObject({ status: 'ACTIVE', quantity: 3, book: { inStock: true, lowestPrice: { amount: 1500 } } });

    await run('mutation($id: ID!) { pauseListing(id: $id) { listing { id } } }', { id: listing.id });
    expect(await state()).toMatchObject({ status: 'PAUSED', book: { inStock: false } });
    await run('mutation($id: ID!) { resumeListing(id: $id) { listing { id } } }', { id: listing.id });
    expect(await state()).toMatchObject({ status: 'ACTIVE', book: { inStock: true } });

    await run('mutation($id: ID!) { removeListing(id: $id) { listing { id } } }', { id: listing.id });
    expect(await state()).toMatchObject({ status: 'REMOVED', book: { inStock: false, lowestPrice: null } });
    expect(
      await seller.client.errorCodes('mutation($input: RestockListingInput!) { restockListing(input: $input) { listing { id } } }', {
        input: { id: listing.id, quantity: 1 },
      }),
    ).toEqual(['CONFLICT']);

    expect(await outboxTypes(listing.id)).toEqual([
      'ListingCreated',
      'ListingPriceChanged',
      'ListingStockChanged',
      'ListingStockChanged',
      'ListingStockChanged',
      'ListingStockChanged',
      'ListingRemoved',
    ]);
  });

  it('refuses a restock of less than one copy with BAD_USER_INPUT', async () => {
    const book = await createBook(seller.client, { title: 'Restock zero', authors: ['Zero'] });
    const listing = await createListing(seller.client, book.id, { amount: 700 });
    const result = await seller.client.request('mutation($input: RestockListingInput!) { restockListing(input: $input) { listing { id } } }', {
      input: { id: listing.id, quantity: 0 },
    });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [expect.objectContaining({ field: 'quantity' })] });
  });
});
