import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnvelope, type EventTransport } from '@bazaar/events';
import { ListingPriceChanged } from '@bazaar/contracts/books';
import { createTransport } from '@bazaar/events/transports';
import { createBook, createListing, eventually, signUpAs, startTestStack, type GraphQLClient, type TestStack } from '@bazaar/testing';
import { ADD, MY_WISHLIST, REMOVE, UPDATE, type ItemShape } from './helpers';

/** The wishlist through the router: mutations, ownership, Book fields, the book projection and price alerts. */
let stack: TestStack;
let pool: pg.Pool;
let seller: { id: string; client: GraphQLClient };

beforeAll(async () => {
  stack = await startTestStack({ subgraphs: ['users', 'books', 'wishlist'] });
  pool = new pg.Pool({ connectionString: stack.databases.wishlist!.url });
  seller = await signUpAs(stack, ['BUYER', 'SELLER'], 'Seller');
});
afterAll(async () => {
  await pool?.end();
  await stack?.stop();
});

/** A new book, once the wishlist's projection knows it. */
async function newBook(title: string) {
  const { id } = await createBook(seller.client, { title, authors: ['Wishlist Tester'] });
  await eventually(async () => (await pool.query('SELECT 1 FROM books WHERE id = $1', [id])).rowCount, (count) => count === 1);
  return id;
}

const add = (client: GraphQLClient, input: Record<string, unknown>) =>
  client.data<{ addToWishlist: { item: ItemShape } }>(ADD, { input }).then(({ addToWishlist }) => addToWishlist.item);

interface WishlistPage {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { cursor: string; node: ItemShape }[];
}
const myWishlist = async (client: GraphQLClient, variables: Record<string, unknown> = {}) =>
  (await client.data<{ me: { wishlist: { items: WishlistPage } } }>(MY_WISHLIST, variables)).me.wishlist.items;

describe('wishlist mutations', () => {
  it('adds (idempotently), updates and removes, newest first, with the catalog\'s book details', async () => {
    const dune = await newBook('Dune');
    const emma = await newBook('Emma');
    const reader = await signUpAs(stack);

    const first = await add(reader.client, { bookId: dune, note: 'the 1965 one', targetPrice: { amount: 1500, currency: 'eur' } });
    expect(first).toMatchObject({ note: 'the 1965 one', targetPrice: { amount: 1500, currency: 'EUR' }, book: { id: dune } });
    const again = await add(reader.client, { bookId: dune });
    expect(again).toEqual(first);
    await add(reader.client, { bookId: emma });

    const page = await myWishlist(reader.client);
    expect(page.totalCount).toBe(2);
    expect(page.edges.map((edge) => edge.node.book.id)).toEqual([emma, dune]);
    const { me } = await reader.client.data<{ me: { wishlist: { items: { edges: { node: { book: { title: string; inMyWishlist: boolean; wishlistCount: number } } }[] } } } }>(
      `query { me { wishlist { items { edges { node { book { title inMyWishlist wishlistCount } } } } } } }`,
    );
    expect(me.wishlist.items.edges.map((edge) => edge.node.book)).toEqual([
      { title: 'Emma', inMyWishlist: true, wishlistCount: 1 },
      { title: 'Dune', inMyWishlist: true, wishlistCount: 1 },
    ]);

    const { updateWishlistItem } = await reader.client.data<{ updateWishlistItem: { item: ItemShape } }>(UPDATE, {
      input: { bookId: dune, note: null, targetPrice: { amount: 1200, currency: 'EUR' } },
    });
    expect(updateWishlistItem.item).toMatchObject({ id: first.id, note: null, targetPrice: { amount: 1200 }, addedAt: first.addedAt });

    const removed = await reader.client.data<{ removeFromWishlist: { removed: boolean; wishlist: { items: { totalCount: number } } } }>(REMOVE, { bookId: emma });
    expect(removed.removeFromWishlist).toEqual({ removed: true, wishlist: { items: { totalCount: 1 } } });
    expect((await reader.client.data<{ removeFromWishlist: { removed: boolean } }>(REMOVE, { bookId: emma })).removeFromWishlist.removed).toBe(false);
    expect(await reader.client.errorCodes(UPDATE, { input: { bookId: emma, note: 'gone' } })).toEqual(['NOT_FOUND']);
  });

  it('refuses unknown books, bad input and anonymous callers', async () => {
    const reader = await signUpAs(stack);
    const book = await newBook('Known');
    expect(await reader.client.errorCodes(ADD, { input: { bookId: '0193a000-0000-7000-8000-0000000000ff' } })).toEqual(['NOT_FOUND']);
    const bad = await reader.client.request(ADD, { input: { bookId: book, targetPrice: { amount: 0, currency: 'EURO' } } });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'targetPrice.amount' }, { field: 'targetPrice.currency' }] });
    const madeUp = await reader.client.request(ADD, { input: { bookId: book, targetPrice: { amount: 100, currency: 'XYZ' } } });
    expect(madeUp.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'targetPrice.currency' }] });
    expect(await stack.client.errorCodes(ADD, { input: { bookId: book } })).toEqual(['UNAUTHENTICATED']);
  });

  it('pages through a long wishlist without skipping or repeating', async () => {
    const reader = await signUpAs(stack);
    const books = [];
    for (let index = 0; index < 5; index++) books.push(await newBook(`Paged ${index}`));
    for (const bookId of books) await add(reader.client, { bookId });
    const first = await myWishlist(reader.client, { first: 3 });
    const second = await myWishlist(reader.client, { first: 3, after: first.pageInfo.endCursor });
    expect(first.pageInfo.hasNextPage).toBe(true);
    expect(second.pageInfo.hasNextPage).toBe(false);
    expect([...first.edges, ...second.edges].map((edge) => edge.node.book.id)).toEqual([...books].reverse());
    expect(await reader.client.errorCodes(MY_WISHLIST, { after: 'nonsense' })).toEqual(['BAD_USER_INPUT']);
  });
});

describe('ownership and Book fields', () => {
  it('shows a wishlist and notifications to their owner only, and counts wishers for everyone', async () => {
    const book = await newBook('Popular');
    const alice = await signUpAs(stack);
    const bob = await signUpAs(stack, ['BUYER', 'ADMIN']);
    await add(alice.client, { bookId: book });
    await add(bob.client, { bookId: book });
    const query = `query($id: ID!) { user(id: $id) { id wishlist { items { totalCount } } notifications { totalCount } } }`;
    expect((await bob.client.data<{ user: unknown }>(query, { id: alice.id })).user).toEqual({ id: alice.id, wishlist: null, notifications: null });
    expect((await stack.client.data<{ user: unknown }>(query, { id: alice.id })).user).toEqual({ id: alice.id, wishlist: null, notifications: null });
    expect((await alice.client.data<{ user: { wishlist: unknown } }>(query, { id: alice.id })).user.wishlist).toEqual({ items: { totalCount: 1 } });

    const bookQuery = `query($id: ID!) { book(id: $id) { title inMyWishlist wishlistCount } }`;
    expect((await stack.client.data<{ book: unknown }>(bookQuery, { id: book })).book).toEqual({ title: 'Popular', inMyWishlist: false, wishlistCount: 2 });
    const stranger = await signUpAs(stack);
    expect((await stranger.client.data<{ book: unknown }>(bookQuery, { id: book })).book).toMatchObject({ inMyWishlist: false, wishlistCount: 2 });
    expect((await alice.client.data<{ book: unknown }>(bookQuery, { id: book })).book).toMatchObject({ inMyWishlist: true });
  });
});

describe('price alerts', () => {
  const NOTIFICATIONS = `query { me { notifications { totalCount unreadCount edges { node {
    id kind message readAt book { id title } listing { id } price { amount currency } targetPrice { amount currency } } } } } }`;
  interface NotificationsShape {
    totalCount: number;
    unreadCount: number;
    edges: { node: { id: string; kind: string; message: string; readAt: string | null; book: { id: string; title: string }; listing: { id: string }; price: { amount: number } } }[];
  }
  const notifications = async (client: GraphQLClient) => (await client.data<{ me: { notifications: NotificationsShape } }>(NOTIFICATIONS)).me.notifications;
  const alertEvents = async (userId: string) =>
    (await pool.query<{ envelope: { data: Record<string, unknown> } }>(`SELECT envelope FROM outbox_events WHERE type = 'WishlistPriceAlert' AND key = $1 ORDER BY position`, [userId])).rows.map(
      (row) => row.envelope.data,
    );

  it('alerts when a listing appears at or below the target, or drops to it, once', async () => {
    const book = await newBook('Alerting Book');
    const wisher = await signUpAs(stack);
    const picky = await signUpAs(stack);
    await add(wisher.client, { bookId: book, targetPrice: { amount: 1000, currency: 'EUR' } });
    await add(picky.client, { bookId: book, targetPrice: { amount: 500, currency: 'EUR' } });

    // Too dear for anyone, then a cheap listing in another currency: no alert.
    const { id: dear } = await createListing(seller.client, book, { amount: 1500, quantity: 2 });
    await createListing(seller.client, book, { amount: 100, quantity: 1, currency: 'GBP' });
    // A listing at 900 EUR: the wisher (target 1000) hears of it; picky (500) does not.
    const { id: cheap } = await createListing(seller.client, book, { amount: 900, quantity: 1 });
    const first = await eventually(() => notifications(wisher.client), (value) => value.totalCount >= 1);
    expect(first).toMatchObject({ totalCount: 1, unreadCount: 1 });
    expect(first.edges[0]!.node).toMatchObject({ kind: 'PRICE_ALERT', readAt: null, book: { id: book, title: 'Alerting Book' }, listing: { id: cheap }, price: { amount: 900 } });
    expect(first.edges[0]!.node.message).toContain('9.00 EUR');

    // The dear listing drops to 1000: an alert for the wisher. A further drop to 950 is not a new crossing.
    await seller.client.data(`mutation($input: UpdateListingInput!) { updateListing(input: $input) { listing { id } } }`, { input: { id: dear, price: { amount: 1000, currency: 'EUR' } } });
    await seller.client.data(`mutation($input: UpdateListingInput!) { updateListing(input: $input) { listing { id } } }`, { input: { id: dear, price: { amount: 950, currency: 'EUR' } } });
    await eventually(() => notifications(wisher.client), (value) => value.totalCount >= 2);
    // Let the second repricing be consumed too before counting: find its event in the catalog's outbox.
    const books = new pg.Pool({ connectionString: stack.databases.books!.url });
    const { rows } = await books.query<{ id: string }>(`SELECT id FROM outbox_events WHERE type = 'ListingPriceChanged' AND key = $1 ORDER BY position DESC LIMIT 1`, [dear]);
    await books.end();
    const processed = async () => (await pool.query('SELECT 1 FROM processed_events WHERE event_id = $1', [rows[0]!.id])).rowCount;
    expect(await eventually(processed, (count) => count === 1)).toBe(1);
    expect((await notifications(wisher.client)).totalCount).toBe(2);
    expect((await notifications(picky.client)).totalCount).toBe(0);
    expect(await alertEvents(wisher.id)).toMatchObject([
      { userId: wisher.id, bookId: book, listingId: cheap, price: { amount: 900, currency: 'EUR' }, targetPrice: { amount: 1000, currency: 'EUR' } },
      { listingId: dear, price: { amount: 1000 } },
    ]);

    // Read once, by the owner only.
    const id = first.edges[0]!.node.id;
    const mark = `mutation($id: ID!) { markNotificationRead(id: $id) { notification { id readAt } } }`;
    expect(await picky.client.errorCodes(mark, { id })).toEqual(['NOT_FOUND']);
    const { markNotificationRead } = await wisher.client.data<{ markNotificationRead: { notification: { readAt: string } } }>(mark, { id });
    expect(markNotificationRead.notification.readAt).not.toBeNull();
    expect((await notifications(wisher.client)).unreadCount).toBe(1);
  });

  it('alerts once for a price drop delivered twice', async () => {
    const book = await newBook('Twice');
    const wisher = await signUpAs(stack);
    await add(wisher.client, { bookId: book, targetPrice: { amount: 800, currency: 'EUR' } });
    const { id: listing } = await createListing(seller.client, book, { amount: 2000, quantity: 1 });
    await eventually(async () => (await pool.query('SELECT 1 FROM listings WHERE id = $1', [listing])).rowCount, (count) => count === 1);

    const transport: EventTransport = createTransport({ EVENT_TRANSPORT: 'postgres', EVENTS_DATABASE_URL: stack.eventsDatabase.url }, 'wishlist-test');
    try {
      const envelope = createEnvelope(ListingPriceChanged, {
        source: 'test',
        key: listing,
        data: { listingId: listing, bookId: book, sellerId: seller.id, price: { amount: 750, currency: 'EUR' }, previousPrice: { amount: 2000, currency: 'EUR' } },
      });
      const message = { topic: ListingPriceChanged.topic, key: listing, id: envelope.id, value: JSON.stringify(envelope) };
      await transport.publish([message]);
      await transport.publish([message]);
      await eventually(() => notifications(wisher.client), (value) => value.totalCount >= 1);
      // A later price rise of the same listing (same key, so delivered after both copies) alerts
      // nobody; once it is applied, the duplicate has had its chance to (wrongly) alert again.
      const rise = createEnvelope(ListingPriceChanged, {
        source: 'test',
        key: listing,
        data: { ...envelope.data, price: { amount: 900, currency: 'EUR' }, previousPrice: { amount: 750, currency: 'EUR' } },
      });
      await transport.publish([{ ...message, id: rise.id, value: JSON.stringify(rise) }]);
      await eventually(async () => (await pool.query('SELECT 1 FROM processed_events WHERE event_id = $1', [rise.id])).rowCount, (count) => count === 1);
      expect((await notifications(wisher.client)).totalCount).toBe(1);
      expect(await alertEvents(wisher.id)).toHaveLength(1);
    } finally {
      await transport.close();
    }
  });
});

