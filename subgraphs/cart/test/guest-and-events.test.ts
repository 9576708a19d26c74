import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnvelope, type EventDefinition, type EventTransport } from '@bazaar/events';
import { ListingPriceChanged } from '@bazaar/contracts/books';
import { OrderPaid } from '@bazaar/contracts/orders';
import { createTransport } from '@bazaar/events/transports';
import { createBook, createListing, eventually, signUpAs, startTestStack, type GraphQLClient, type TestStack } from '@bazaar/testing';
import { ADD, CART_FIELDS, myCart, projectedListing, waitForListing, type CartShape } from './helpers';

/** Guest carts and their merge on log-in, and the cart's reactions to events (duplicates included). */
let stack: TestStack;
let pool: pg.Pool;
let transport: EventTransport;
let seller: { id: string; client: GraphQLClient };
let bookId: string;

beforeAll(async () => {
  stack = await startTestStack({ subgraphs: ['users', 'books', 'cart'] });
  pool = new pg.Pool({ connectionString: stack.databases.cart!.url });
  transport = createTransport({ EVENT_TRANSPORT: 'postgres', EVENTS_DATABASE_URL: stack.eventsDatabase.url }, 'cart-test');
  seller = await signUpAs(stack, ['BUYER', 'SELLER'], 'Seller');
  bookId = (await createBook(seller.client, { title: 'Guest Book', authors: ['Cart Tester'] })).id;
});
afterAll(async () => {
  await transport?.close();
  await pool?.end();
  await stack?.stop();
});

async function newListing(amount: number, quantity: number) {
  const { id } = await createListing(seller.client, bookId, { amount, quantity });
  await waitForListing(pool, id);
  return id;
}

/** Publishes one envelope as the catalog (or orders) service would, `times` times over. */
async function publish<Data>(definition: EventDefinition<string, Data>, key: string, data: Data, options: { times?: number; occurredAt?: Date } = {}) {
  const envelope = createEnvelope(definition, { source: 'test', key, data, ...(options.occurredAt && { occurredAt: options.occurredAt }) });
  const message = { topic: definition.topic, key, id: envelope.id, value: JSON.stringify(envelope) };
  for (let time = 0; time < (options.times ?? 1); time++) await transport.publish([message]);
  return envelope;
}

const processedCount = async (eventId: string) =>
  Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM processed_events WHERE event_id = $1', [eventId])).rows[0]!.n);

describe('guest carts', () => {
  it('lets a shopper without an account fill a cart, then folds it into their cart on log-in', async () => {
    const plenty = await newListing(1000, 5);
    const scarce = await newListing(600, 2);
    const own = await newListing(400, 3); // the seller's listing: fine for the shopper (the next test merges as the seller)

    const { createGuestCart } = await stack.client.data<{ createGuestCart: { guestCartToken: string; cart: CartShape } }>(
      `mutation { createGuestCart { guestCartToken cart { itemCount } } }`,
    );
    const token = createGuestCart.guestCartToken;
    expect(token).toMatch(/^gct_[\w-]{43}$/);
    expect(createGuestCart.cart.itemCount).toBe(0);

    for (const [listingId, quantity] of [[plenty, 2], [scarce, 2], [own, 1]] as const) {
      await stack.client.data(ADD, { input: { listingId, quantity, guestCartToken: token } });
    }
    const guestCart = `query($token: String!) { guestCart(token: $token) { ${CART_FIELDS} } }`;
    const { guestCart: asGuest } = await stack.client.data<{ guestCart: CartShape }>(guestCart, { token });
    expect(asGuest.itemCount).toBe(5);
    // The token is a secret of the device: only its hash is stored.
    expect((await pool.query('SELECT 1 FROM carts WHERE token_hash = $1', [token])).rowCount).toBe(0);
    expect((await stack.client.data<{ guestCart: unknown }>(guestCart, { token: `${token}x` })).guestCart).toBeNull();
    expect(await stack.client.errorCodes(ADD, { input: { listingId: plenty, guestCartToken: 'gct_unknown' } })).toEqual(['NOT_FOUND']);

    // The shopper already has 4 copies of `plenty` in their own cart; the merge caps the line at the 5 on sale.
    const shopper = await signUpAs(stack, ['BUYER'], 'Shopper');
    await shopper.client.data(ADD, { input: { listingId: plenty, quantity: 4 } });
    const merge = `mutation($token: String!) { mergeGuestCart(input: { guestCartToken: $token }) { cart { ${CART_FIELDS} } } }`;
    expect(await stack.client.errorCodes(merge, { token })).toEqual(['UNAUTHENTICATED']);
    const { mergeGuestCart } = await shopper.client.data<{ mergeGuestCart: { cart: CartShape } }>(merge, { token });
    const quantities = Object.fromEntries(mergeGuestCart.cart.items.map((item) => [item.listing.id, item.quantity]));
    expect(quantities).toEqual({ [plenty]: 5, [scarce]: 2, [own]: 1 });
    expect(await myCart(shopper.client)).toEqual(mergeGuestCart.cart);

    // The guest cart is gone: its token reaches nothing and cannot be merged twice.
    expect((await stack.client.data<{ guestCart: unknown }>(guestCart, { token })).guestCart).toBeNull();
    expect(await shopper.client.errorCodes(merge, { token })).toEqual(['NOT_FOUND']);
  });

  it('drops the merging user\'s own listings', async () => {
    const own = await newListing(900, 2);
    const { createGuestCart } = await stack.client.data<{ createGuestCart: { guestCartToken: string } }>(`mutation { createGuestCart { guestCartToken } }`);
    await stack.client.data(ADD, { input: { listingId: own, quantity: 1, guestCartToken: createGuestCart.guestCartToken } });
    const { mergeGuestCart } = await seller.client.data<{ mergeGuestCart: { cart: CartShape } }>(
      `mutation($token: String!) { mergeGuestCart(input: { guestCartToken: $token }) { cart { ${CART_FIELDS} } } }`,
      { token: createGuestCart.guestCartToken },
    );
    expect(mergeGuestCart.cart.items.map((item) => item.listing.id)).not.toContain(own);
  });
});

describe('events', () => {
  it('applies a duplicated price change once, and never lets an older one roll it back', async () => {
    const listing = await newListing(1500, 3);
    const buyer = await signUpAs(stack, ['BUYER']);
    await buyer.client.data(ADD, { input: { listingId: listing } });

    const data = { listingId: listing, bookId, sellerId: seller.id, price: { amount: 1200, currency: 'EUR' }, previousPrice: { amount: 1500, currency: 'EUR' } };
    const envelope = await publish(ListingPriceChanged, listing, data, { times: 2 });
    await waitForListing(pool, listing, (row) => row.price_amount === 1200);
    expect(await eventually(() => processedCount(envelope.id), (count) => count === 1)).toBe(1);

    // A stale event (older than what the projection holds) changes nothing.
    const stale = await publish(ListingPriceChanged, listing, { ...data, price: { amount: 9999, currency: 'EUR' } }, { occurredAt: new Date(Date.now() - 60_000) });
    await eventually(() => processedCount(stale.id), (count) => count === 1);
    expect((await projectedListing(pool, listing))?.price_amount).toBe(1200);
    expect((await myCart(buyer.client)).problems).toMatchObject([{ kind: 'PRICE_CHANGED', currentPrice: { amount: 1200 } }]);
  });

  it('drops the bought quantities when an order is paid, once however often the event comes', async () => {
    const first = await newListing(700, 5);
    const second = await newListing(800, 5);
    const buyer = await signUpAs(stack, ['BUYER']);
    await buyer.client.data(ADD, { input: { listingId: first, quantity: 3 } });
    await buyer.client.data(ADD, { input: { listingId: second, quantity: 1 } });

    const envelope = await publish(
      OrderPaid,
      'order-1',
      { orderId: 'order-1', buyerId: buyer.id, paidAt: new Date().toISOString(), lines: [{ listingId: first, bookId, quantity: 1 }, { listingId: second, bookId, quantity: 1 }] },
      { times: 3 },
    );
    await eventually(() => processedCount(envelope.id), (count) => count === 1);
    const cart = await eventually(() => myCart(buyer.client), (value) => value.itemCount === 2);
    expect(cart.items.map((item) => [item.listing.id, item.quantity])).toEqual([[first, 2]]);
    // A later event of the same key is delivered after every copy of the first: once it is applied,
    // any duplicate has had its chance to (wrongly) apply. It is another buyer's, so it changes nothing here.
    const later = await publish(OrderPaid, 'order-1', {
      orderId: 'order-1',
      buyerId: randomUUID(),
      paidAt: new Date().toISOString(),
      lines: [{ listingId: first, bookId, quantity: 1 }],
    });
    await eventually(() => processedCount(later.id), (count) => count === 1);
    expect(await processedCount(envelope.id)).toBe(1);
    expect((await myCart(buyer.client)).itemCount).toBe(2);
  });
});
