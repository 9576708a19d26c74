import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBook, createListing, eventually, signUpAs, startTestStack, type GraphQLClient, type TestStack } from '@bazaar/testing';
import { ADD, CART_FIELDS, CLEAR, myCart, REMOVE, UPDATE, waitForListing, type CartShape } from './helpers';

/** The cart through the router: mutations, stock rules, ownership, and the projection following the catalog. */
let stack: TestStack;
let pool: pg.Pool;
let seller: { id: string; client: GraphQLClient };
let buyer: { id: string; client: GraphQLClient };
let bookId: string;

beforeAll(async () => {
  stack = await startTestStack({ subgraphs: ['users', 'books', 'cart'] });
  pool = new pg.Pool({ connectionString: stack.databases.cart!.url });
  seller = await signUpAs(stack, ['BUYER', 'SELLER'], 'Seller');
  buyer = await signUpAs(stack, ['BUYER'], 'Buyer');
  bookId = (await createBook(seller.client, { title: 'The Cart Book', authors: ['Cart Tester'] })).id;
});
afterAll(async () => {
  await pool?.end();
  await stack?.stop();
});

async function newListing(amount: number, quantity: number, currency = 'EUR') {
  const { id } = await createListing(seller.client, bookId, { amount, quantity, currency });
  await waitForListing(pool, id);
  return id;
}

const add = (client: GraphQLClient, input: Record<string, unknown>) =>
  client.data<{ addToCart: { cart: CartShape } }>(ADD, { input }).then(({ addToCart }) => addToCart.cart);

describe('cart mutations', () => {
  it('adds, adds again to the same line, updates, removes and clears', async () => {
    const first = await newListing(1250, 5);
    const second = await newListing(800, 2, 'GBP');

    let cart = await add(buyer.client, { listingId: first, quantity: 2 });
    expect(cart.items).toMatchObject([{ listing: { id: first }, quantity: 2, unitPrice: { amount: 1250, currency: 'EUR' }, lineTotal: { amount: 2500 } }]);

    cart = await add(buyer.client, { listingId: first, quantity: 1 });
    expect(cart.items).toHaveLength(1);
    expect(cart.items[0]!.quantity).toBe(3);

    cart = await add(buyer.client, { listingId: second });
    expect(cart.itemCount).toBe(4);
    expect(cart.subtotal).toEqual([{ amount: 3750, currency: 'EUR' }, { amount: 800, currency: 'GBP' }]);
    expect(cart.problems).toEqual([]);
    expect(await myCart(buyer.client)).toEqual(cart);

    const { updateCartItem } = await buyer.client.data<{ updateCartItem: { cart: CartShape } }>(UPDATE, { input: { listingId: first, quantity: 5 } });
    expect(updateCartItem.cart.items.find((item) => item.listing.id === first)?.quantity).toBe(5);

    const { removeFromCart } = await buyer.client.data<{ removeFromCart: { cart: CartShape } }>(REMOVE, { input: { listingId: first } });
    expect(removeFromCart.cart.items.map((item) => item.listing.id)).toEqual([second]);
    // Removing a line that is not there changes nothing.
    const again = await buyer.client.data<{ removeFromCart: { cart: CartShape } }>(REMOVE, { input: { listingId: first } });
    expect(again.removeFromCart.cart.itemCount).toBe(1);

    const { clearCart } = await buyer.client.data<{ clearCart: { cart: CartShape } }>(CLEAR);
    expect(clearCart.cart).toMatchObject({ items: [], itemCount: 0, subtotal: [], problems: [] });
  });

  it('refuses more copies than are on sale, naming how many are', async () => {
    const listing = await newListing(999, 3);
    await add(buyer.client, { listingId: listing, quantity: 2 });
    const tooMany = await buyer.client.request(ADD, { input: { listingId: listing, quantity: 2 } });
    expect(tooMany.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', availableQuantity: 3, inCart: 2 });

    const update = await buyer.client.request(UPDATE, { input: { listingId: listing, quantity: 4 } });
    expect(update.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', availableQuantity: 3 });
    expect((await myCart(buyer.client)).items.find((item) => item.listing.id === listing)?.quantity).toBe(2);

    const invalid = await buyer.client.request(ADD, { input: { listingId: listing, quantity: 0 } });
    expect(invalid.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'quantity' }] });
    await buyer.client.data(CLEAR);
  });

  it('refuses an inactive listing, an unknown one, a seller\'s own listing and a missing token', async () => {
    const paused = await newListing(500, 4);
    await seller.client.data(`mutation($id: ID!) { pauseListing(id: $id) { listing { id } } }`, { id: paused });
    await waitForListing(pool, paused, (row) => row.status === 'PAUSED');
    const inactive = await buyer.client.request(ADD, { input: { listingId: paused } });
    expect(inactive.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', availableQuantity: 0 });

    expect(await buyer.client.errorCodes(ADD, { input: { listingId: '0193a000-0000-7000-8000-0000000000ff' } })).toEqual(['NOT_FOUND']);
    const own = await newListing(700, 1);
    expect(await seller.client.errorCodes(ADD, { input: { listingId: own } })).toEqual(['FORBIDDEN']);
    expect(await stack.client.errorCodes(ADD, { input: { listingId: own } })).toEqual(['UNAUTHENTICATED']);
    expect(await stack.client.errorCodes(CLEAR)).toEqual(['UNAUTHENTICATED']);
    expect((await myCart(buyer.client)).items).toEqual([]);
  });
});

describe('the cart id', () => {
  it('is one stable id per user, the same while empty, after adding and after clearing', async () => {
    const shopper = await signUpAs(stack, ['BUYER'], 'Stable');
    const other = await signUpAs(stack, ['BUYER'], 'Other');
    const idOf = async (client: GraphQLClient) => (await client.data<{ me: { cart: { id: string } } }>(`{ me { cart { id } } }`)).me.cart.id;
    const empty = await idOf(shopper.client);
    const listing = await newListing(500, 3);
    const added = await shopper.client.data<{ addToCart: { cart: { id: string } } }>(
      `mutation($input: AddToCartInput!) { addToCart(input: $input) { cart { id } } }`,
      { input: { listingId: listing, quantity: 1 } },
    );
    expect(added.addToCart.cart.id).toBe(empty);
    await shopper.client.data(CLEAR, { input: {} });
    expect(await idOf(shopper.client)).toBe(empty);
    expect(await idOf(other.client)).not.toBe(empty);
  });
});

describe('ownership', () => {
  it('never shows a cart to anyone but its owner', async () => {
    const listing = await newListing(1500, 2);
    await add(buyer.client, { listingId: listing });
    const other = await signUpAs(stack, ['BUYER', 'ADMIN'], 'Nosy admin');
    const query = `query($id: ID!) { user(id: $id) { id cart { itemCount items { listing { id } } } } }`;
    expect((await other.client.data<{ user: { cart: unknown } }>(query, { id: buyer.id })).user).toEqual({ id: buyer.id, cart: null });
    expect((await stack.client.data<{ user: { cart: unknown } }>(query, { id: buyer.id })).user.cart).toBeNull();
    expect((await buyer.client.data<{ user: { cart: { itemCount: number } } }>(query, { id: buyer.id })).user.cart.itemCount).toBe(1);
    // Another user's mutations touch only their own cart.
    await other.client.data(CLEAR);
    expect((await myCart(buyer.client)).itemCount).toBe(1);
    expect((await myCart(other.client)).itemCount).toBe(0);
    await buyer.client.data(CLEAR);
  });
});

describe('the listing projection', () => {
  it('follows repricing, stock and removal, and shows them as problems', async () => {
    const repriced = await newListing(2000, 5);
    const scarce = await newListing(300, 4);
    const withdrawn = await newListing(450, 1);
    await add(buyer.client, { listingId: repriced, quantity: 2 });
    await add(buyer.client, { listingId: scarce, quantity: 3 });
    await add(buyer.client, { listingId: withdrawn });

    await seller.client.data(`mutation($input: UpdateListingInput!) { updateListing(input: $input) { listing { id } } }`, {
      input: { id: repriced, price: { amount: 2400, currency: 'EUR' } },
    });
    await seller.client.data(`mutation($input: UpdateListingInput!) { updateListing(input: $input) { listing { id } } }`, {
      input: { id: scarce, quantity: 1 },
    });
    await seller.client.data(`mutation($id: ID!) { removeListing(id: $id) { listing { id } } }`, { id: withdrawn });

    const cart = await eventually(() => myCart(buyer.client), (value) => value.problems.length >= 3);
    const byListing = (id: string) => cart.problems.filter((problem) => problem.item.listing.id === id);
    expect(byListing(repriced)).toMatchObject([
      { kind: 'PRICE_CHANGED', previousPrice: { amount: 2000, currency: 'EUR' }, currentPrice: { amount: 2400, currency: 'EUR' } },
    ]);
    expect(byListing(scarce)).toMatchObject([{ kind: 'INSUFFICIENT_STOCK', availableQuantity: 1 }]);
    expect(byListing(withdrawn)).toMatchObject([{ kind: 'LISTING_REMOVED' }]);
    const line = cart.items.find((item) => item.listing.id === repriced)!;
    expect(line).toMatchObject({ unitPrice: { amount: 2400 }, acceptedUnitPrice: { amount: 2000 }, lineTotal: { amount: 4800 } });
    // The withdrawn listing no longer counts; the scarce line still does at its full quantity.
    expect(cart.subtotal).toEqual([{ amount: 4800 + 900, currency: 'EUR' }]);

    // Changing a line accepts its current price: the PRICE_CHANGED problem goes.
    const { updateCartItem } = await buyer.client.data<{ updateCartItem: { cart: CartShape } }>(UPDATE, { input: { listingId: repriced, quantity: 1 } });
    expect(updateCartItem.cart.problems.map((problem) => problem.kind).sort()).toEqual(['INSUFFICIENT_STOCK', 'LISTING_REMOVED']);
    await buyer.client.data(CLEAR);
  });
});

describe('with the catalog down', () => {
  it('still answers the cart from its own projection', async () => {
    const listing = await newListing(1100, 3);
    await add(buyer.client, { listingId: listing, quantity: 2 });
    await stack.services.books!.stop();
    const { me } = await buyer.client.data<{ me: { cart: CartShape } }>(`query { me { cart { ${CART_FIELDS} } } }`);
    expect(me.cart).toMatchObject({
      itemCount: 2,
      subtotal: [{ amount: 2200, currency: 'EUR' }],
      items: [{ listing: { id: listing }, unitPrice: { amount: 1100 }, availableQuantity: 3 }],
      problems: [],
    });
    // A field the catalog owns does fail (and, being non-null, nulls the cart above it): clients
    // that must work during an outage ask for the cart's own fields only.
    const mixed = await buyer.client.request<{ me: { cart: unknown } }>(`query { me { cart { itemCount items { listing { id price { amount } } } } } }`);
    expect(mixed.errors?.length).toBeGreaterThan(0);
  });
});
