import pg from 'pg';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createListing, eventually, freshIsbn13, type GraphQLClient, listBook, startTestStack, type TestStack } from '@bazaar/testing';
import { launchBrowser, screenshotIfAsked, type TestBrowser } from '@bazaar/testing/browser';
import { startWebShop } from '../dev-server';

/** Waits on the page with a deadline generous enough for a busy machine (expect.poll's default is one second). */
const poll = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 60_000 });

/**
 * The web shop in headless Chromium against the real router and every real subgraph: a guest finds a
 * book, fills a cart, signs up (the cart comes along), pays with the test card, the seller ships from
 * the dashboard, the buyer confirms the delivery and writes a verified review. The shop runs on its
 * own origin (Vite's dev server), so every request also goes through the router's CORS.
 */
describe('the web shop, end to end in a browser', () => {
  let stack: TestStack;
  let browser: TestBrowser;
  let shop: Awaited<ReturnType<typeof startWebShop>>;
  const SELLER = { email: `tiger-${Date.now()}@example.com`, password: 'paper tiger password', displayName: 'Paper Tiger Books' };
  const BUYER = { email: `bea-${Date.now()}@example.com`, password: 'correct horse battery', displayName: 'Bea Buyer' };
  const TITLE = 'The Wombat Atlas';
  const SHELF: [title: string, author: string, genre: string, amount: number][] = [
    ['Burrows of the Outback', 'Ada Digger', 'Nature', 1850],
    ['A Field Guide to Marsupials', 'Kai Pouch', 'Nature', 2400],
    ['Night Walks', 'Mira Moon', 'Essays', 990],
    ['The Slow Traveller', 'Otto Amble', 'Travel', 1590],
    ['Recipes from the Bush', 'Lena Ember', 'Cooking', 2100],
  ];

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startTestStack(), launchBrowser({ offline: true })]);
    shop = await startWebShop({ routerUrl: stack.routerUrl });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await shop?.server.close();
    await stack?.stop();
  });

  /** A seller account made as the shop makes one: sign up, become a seller, log in again for a token with the role. */
  async function sellerAccount(account: typeof SELLER): Promise<GraphQLClient> {
    const session = async (operation: string, input: object) =>
      Object.values(await stack.client.data<Record<string, { session: { accessToken: string } }>>(operation, { input }))[0]!.session.accessToken;
    const signedUp = await session('mutation($input: SignUpInput!) { signUp(input: $input) { session { accessToken } } }', account);
    await stack.client.withToken(signedUp).data('mutation { becomeSeller { user { id } } }');
    const { email, password } = account;
    return stack.client.withToken(await session('mutation($input: LogInInput!) { logIn(input: $input) { session { accessToken } } }', { email, password }));
  }

  /** Waits until the cart service's projection knows every listing of the book, by adding each to a throwaway guest cart. */
  async function untilCartKnowsListings(listingIds: string[]) {
    const { createGuestCart } = await stack.client.data<{ createGuestCart: { guestCartToken: string } }>('mutation { createGuestCart { guestCartToken } }');
    for (const listingId of listingIds) {
      const added = await eventually(
        async () => stack.client.request('mutation($input: AddToCartInput!) { addToCart(input: $input) { cart { id } } }', { input: { listingId, guestCartToken: createGuestCart.guestCartToken } }),
        (result) => !result.errors,
        30_000,
      );
      expect(added.errors).toBeUndefined();
    }
  }

  async function newPage() {
    const context = await browser.newContext();
    // Generous: the first page load makes Vite bundle the shop's dependencies, on a busy machine.
    context.setDefaultTimeout(60_000);
    return { context, page: await context.newPage() };
  }

  async function logIn(page: Page, account: { email: string; password: string }) {
    await page.goto(`${shop.url}#/account`);
    const form = page.getByRole('form', { name: 'Log in' });
    await form.getByLabel('Email').fill(account.email);
    await form.getByLabel('Password').fill(account.password);
    await form.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Your cart' }).waitFor();
  }

  it('guest search → cart → sign up and merge → pay with tok_visa → PAID → seller ships → delivered → verified review', async () => {
    // The seller lists a book from the dashboard and restocks it.
    await sellerAccount(SELLER);
    const { context: sellerContext, page: sellerPage } = await newPage();
    await logIn(sellerPage, SELLER);
    await sellerPage.getByRole('link', { name: 'Seller dashboard' }).click();
    const newListing = sellerPage.getByRole('form', { name: 'List a new book' });
    await newListing.getByLabel('ISBN').fill(freshIsbn13());
    await newListing.getByLabel('Title').fill(TITLE);
    await newListing.getByLabel('Authors').fill('Wanda Wombat');
    await newListing.getByLabel('Price (EUR)').fill('12.50');
    await newListing.getByLabel('Copies').fill('2');
    await newListing.getByRole('button', { name: 'Create book and listing' }).click();
    await sellerPage.getByRole('status').filter({ hasText: `Listed “${TITLE}”` }).waitFor();
    const listingRow = sellerPage.getByRole('row').filter({ hasText: TITLE });
    await listingRow.getByRole('button', { name: `Add a copy of ${TITLE}` }).click();
    await poll(() => listingRow.getByRole('cell').nth(3).innerText()).toBe('3');
    await listingRow.getByRole('button', { name: 'Pause' }).click();
    await poll(() => listingRow.getByRole('cell').nth(4).innerText()).toBe('Paused');
    await listingRow.getByRole('button', { name: 'Resume' }).click();
    await poll(() => listingRow.getByRole('cell').nth(4).innerText()).toBe('Active');

    // A second seller offers the same book in another condition: the book page lists both.
    const other = await sellerAccount({ email: `second-${Date.now()}@example.com`, password: 'second seller pass', displayName: 'Second Shelf' });
    const { books } = await stack.client.data<{ books: { edges: { node: { id: string; listings: { edges: { node: { id: string } }[] } } }[] } }>(
      '{ books(filter: { query: "wombat atlas" }, first: 1) { edges { node { id listings(first: 5) { edges { node { id } } } } } } }',
    );
    const book = books.edges[0]!.node;
    const second = await createListing(other, book.id, { amount: 1490, condition: 'LIKE_NEW', quantity: 1 });
    await untilCartKnowsListings([...book.listings.edges.map(({ node }) => node.id), second.id]);
    // More of the second seller's shelf, so the storefront has genres to filter by.
    for (const [title, author, genre, amount] of SHELF) await listBook(other, { title, authors: [author], genres: [genre] }, { amount });

    // A guest searches and opens the book.
    const { context: buyerContext, page: buyer } = await newPage();
    await buyer.goto(shop.url);
    await buyer.getByRole('heading', { name: 'All books' }).waitFor();
    await poll(() => buyer.locator('.book-grid > li').count()).toBe(SHELF.length + 1);
    await screenshotIfAsked(buyer, 'storefront');
    await buyer.getByRole('searchbox', { name: 'Search books' }).fill('wombat atlas');
    await buyer.getByRole('button', { name: 'Search' }).click();
    await buyer.getByRole('heading', { name: 'Results for “wombat atlas”' }).waitFor();
    await buyer.getByRole('link', { name: TITLE }).click();
    await buyer.getByRole('heading', { name: TITLE, level: 1 }).waitFor();
    await poll(() => buyer.getByRole('table').getByRole('row').count()).toBe(3); // header + two offers
    await screenshotIfAsked(buyer, 'book-page');

    // The paper tiger's copy goes into a guest cart.
    await buyer.getByRole('button', { name: 'Add to cart: Good from Paper Tiger Books' }).click();
    await poll(() => buyer.getByRole('status').innerText()).toBe('Added to your cart.');
    await poll(() => buyer.getByLabel('items in cart').innerText()).toBe('(1)');

    // Signs up: the guest cart is merged into the new account's cart.
    await buyer.getByRole('link', { name: 'Log in / Sign up' }).click();
    const signUp = buyer.getByRole('form', { name: 'Sign up' });
    await signUp.getByLabel('Name').fill(BUYER.displayName);
    await signUp.getByLabel('Email').fill(BUYER.email);
    await signUp.getByLabel(/Password/).fill(BUYER.password);
    await signUp.getByRole('button', { name: 'Sign up' }).click();
    await buyer.getByRole('heading', { name: 'Your cart' }).waitFor();
    await buyer.getByRole('link', { name: TITLE }).waitFor();
    await poll(() => buyer.getByText(BUYER.displayName).count()).toBeGreaterThan(0);
    await screenshotIfAsked(buyer, 'cart');

    // An access token about to expire is refreshed before the next request goes out.
    const tokenBefore = await buyer.evaluate(() => {
      const session = JSON.parse(localStorage.getItem('bazaar.session') ?? '{}') as { accessToken: string; accessTokenExpiresAt: string };
      localStorage.setItem('bazaar.session', JSON.stringify({ ...session, accessTokenExpiresAt: new Date(Date.now() + 1000).toISOString() }));
      return session.accessToken;
    });
    const refreshed = buyer.waitForResponse((response) => response.request().postData()?.includes('RefreshSession') === true);
    await buyer.reload();
    expect(((await (await refreshed).json()) as { data: { refreshSession: { session: { accessToken: string } } } }).data.refreshSession.session.accessToken).not.toBe(tokenBefore);
    await buyer.getByRole('link', { name: TITLE }).waitFor();

    // Checks out and pays with the test card while the status follows the saga.
    await buyer.getByRole('link', { name: 'Check out' }).click();
    const address = buyer.getByRole('form', { name: 'Shipping address' });
    await address.getByLabel('Full name').fill(BUYER.displayName);
    await address.getByLabel('Street and number').fill('1 Reading Lane');
    await address.getByLabel('Postal code').fill('10115');
    await address.getByLabel('City').fill('Berlin');
    await address.getByLabel('Country').fill('DE');
    const placedAt = Date.now();
    await address.getByRole('button', { name: 'Place order' }).click();
    const status = buyer.getByTestId('order-status');
    await poll(() => status.innerText()).toBe('Awaiting payment');
    const reservedAt = Date.now();
    await buyer.getByLabel('Test card').selectOption('tok_visa');
    await buyer.getByRole('button', { name: 'Pay now' }).click();
    await poll(() => status.innerText()).toBe('Paid');
    // Figures only (the page polls every second, so they include up to a second of polling).
    console.log(`web shop: place order → "Awaiting payment" on screen ${reservedAt - placedAt} ms; pay → "Paid" ${Date.now() - reservedAt} ms`);
    await screenshotIfAsked(buyer, 'checkout-paid');

    // The seller ships it from the dashboard.
    await sellerPage.reload();
    const order = sellerPage.getByRole('listitem', { name: `Order for ${BUYER.displayName}` });
    await order.getByLabel('Tracking number').fill('JJD000390007');
    await order.getByRole('button', { name: 'Mark shipped' }).click();
    await poll(() => order.innerText()).toContain('Shipped with DHL JJD000390007');
    await screenshotIfAsked(sellerPage, 'seller-dashboard');

    // The buyer follows the order and confirms the delivery.
    await buyer.getByRole('link', { name: 'Orders' }).click();
    await buyer.getByRole('link', { name: new RegExp(TITLE) }).click();
    await poll(() => buyer.getByTestId('order-status').innerText()).toBe('Shipped');
    await buyer.getByRole('button', { name: 'I received it' }).click();
    await poll(() => buyer.getByTestId('order-status').innerText()).toBe('Delivered');
    await screenshotIfAsked(buyer, 'order-tracking');

    // The reviews service learns of the delivery from an event; then the buyer's review is verified.
    const reviews = new pg.Pool({ connectionString: stack.databases.reviews!.url, max: 1 });
    try {
      const buyerId = await buyer.evaluate(() => (JSON.parse(localStorage.getItem('bazaar.session') ?? '{}') as { user: { id: string } }).user.id);
      const delivered = await eventually(
        async () => (await reviews.query('select 1 from verified_purchases where buyer_id = $1 and book_id = $2', [buyerId, book.id])).rowCount,
        (count) => count === 1,
        30_000,
      );
      expect(delivered).toBe(1);
    } finally {
      await reviews.end();
    }
    await buyer.getByRole('link', { name: TITLE }).click();
    const review = buyer.getByRole('form', { name: 'Write a review' });
    await review.getByLabel('Rating').selectOption('5');
    await review.getByLabel('Title').fill('Maps of every burrow');
    await review.getByLabel('Review').fill('Arrived quickly, exactly as described.');
    await review.getByRole('button', { name: 'Publish review' }).click();
    const published = buyer.getByRole('listitem').filter({ hasText: 'Maps of every burrow' });
    await poll(() => published.innerText()).toContain('Verified purchase');
    await poll(() => buyer.getByRole('heading', { name: /Ratings/ }).innerText()).toContain('★ 5.0 from 1');
    await screenshotIfAsked(buyer, 'book-review');

    // Wishes for it below the current price; the wishlist shows the target.
    await buyer.getByLabel('Alert me below (optional)').fill('10');
    await buyer.getByRole('button', { name: 'Add to wishlist' }).click();
    await buyer.getByText('In your wishlist').waitFor();
    await buyer.getByRole('link', { name: 'Wishlist' }).click();
    await poll(() => buyer.getByRole('listitem').filter({ hasText: TITLE }).innerText()).toContain('alert below €10.00');

    await buyerContext.close();
    await sellerContext.close();
  }, 300_000);
});
