import type { ApolloClient, TypedDocumentNode } from '@apollo/client';
import { CombinedGraphQLErrors } from '@apollo/client/errors';
import { randomUUID } from 'node:crypto';
import { Kind, type OperationDefinitionNode } from 'graphql';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddToCartDocument,
  AddToWishlistDocument,
  BecomeSellerDocument,
  BookByIsbnDocument,
  BookPageDocument,
  CancelOrderDocument,
  ClearCartDocument,
  ConfirmDeliveryDocument,
  createBazaarClient,
  CreateBookDocument,
  CreateGuestCartDocument,
  CreateListingDocument,
  DeleteReviewDocument,
  EditReviewDocument,
  GuestCartDocument,
  LogInDocument,
  LogOutDocument,
  MarketplaceCommissionDocument,
  MarkNotificationReadDocument,
  MarkReviewHelpfulDocument,
  MeDocument,
  MergeGuestCartDocument,
  MoreReviewsDocument,
  MyCartDocument,
  MyEarningsDocument,
  MyListingsDocument,
  MyNotificationsDocument,
  MyOrdersDocument,
  OrderTrackingDocument,
  MyWishlistDocument,
  PauseListingDocument,
  PayOrderDocument,
  RateSellerDocument,
  RespondToSellerFeedbackDocument,
  SellerReputationDocument,
  UpdateSellerFeedbackDocument,
  PlaceOrderDocument,
  RefreshSessionDocument,
  RemoveFromCartDocument,
  RemoveFromWishlistDocument,
  RemoveListingDocument,
  RestockListingDocument,
  RunPayoutsDocument,
  ResumeListingDocument,
  SearchBooksDocument,
  type SearchBooksQuery,
  type SearchBooksQueryVariables,
  SellerOrdersDocument,
  SetUserRolesDocument,
  ShipFulfilmentDocument,
  SignUpDocument,
  type Role,
  type SignUpMutation,
  UpdateBookDocument,
  UpdateCartItemDocument,
  UpdateListingDocument,
  UpdateProfileDocument,
  UpdateWishlistItemDocument,
  UserProfileDocument,
  WriteReviewDocument,
} from '@bazaar/example-client';
import { eventually, freshIsbn13, startTestStack, type TestStack } from '@bazaar/testing';
import { loadOperationFiles } from '../schema/api-schema';
import { orderReaches, payOrder, placeOrder, SHIPPING_ADDRESS } from './checkout-helpers';

/**
 * The client contract: the operations the web shop and the app send (schema/operations), typed by
 * GraphQL Code Generator, run through Apollo Client 4 and its normalised cache against the real router
 * and every subgraph.
 */
let stack: TestStack;
/** The projections' databases, to wait until an event reached them (as the subgraphs' own tests do). */
let pools: Record<'cart' | 'reviews' | 'wishlist', pg.Pool>;

beforeAll(async () => {
  // PlaceOrder awaits the catalog's answer: up to 8 s here (within the 10 s request budget), so a busy machine cannot outlast it.
  stack = await startTestStack({ env: { ORDERS_STOCK_WAIT_MS: '8000' } });
  pools = {
    cart: new pg.Pool({ connectionString: stack.databases.cart!.url }),
    reviews: new pg.Pool({ connectionString: stack.databases.reviews!.url }),
    wishlist: new pg.Pool({ connectionString: stack.databases.wishlist!.url }),
  };
});
afterAll(async () => {
  await Promise.all(Object.values(pools ?? {}).map((pool) => pool.end()));
  await stack?.stop();
});

const PASSWORD = 'correct horse battery';
let counter = 0;
const newAccount = (displayName = 'Reader') => ({ email: `client${++counter}-${Date.now()}@example.com`, password: PASSWORD, displayName });

/** A client with its own cache, signed in as whoever's token `token()` returns. */
function client(token: () => string | undefined = () => undefined): ApolloClient {
  return createBazaarClient({ uri: stack.routerUrl, getAccessToken: token, clientName: 'contract-test' });
}

/** Runs a typed operation; a query goes to the network unless `cacheFirst`. GraphQL errors throw. */
async function run<Data, Variables extends Record<string, unknown>>(
  apollo: ApolloClient,
  document: TypedDocumentNode<Data, Variables>,
  variables?: Variables,
): Promise<Data> {
  const operation = document.definitions.find((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
  const result =
    operation?.operation === 'mutation'
      ? await apollo.mutate({ mutation: document, ...(variables ? { variables } : {}) } as ApolloClient.MutateOptions<Data, Variables>)
      : await apollo.query({ query: document, fetchPolicy: 'network-only', ...(variables ? { variables } : {}) } as ApolloClient.QueryOptions<Data, Variables>);
  if (result.error) throw result.error;
  return result.data as Data;
}

/** The error codes a failing operation gives. */
async function errorCodes(promise: Promise<unknown>): Promise<string[]> {
  try {
    await promise;
  } catch (error) {
    if (CombinedGraphQLErrors.is(error)) return error.errors.map((item) => String(item.extensions?.code));
    throw error;
  }
  return [];
}

async function signUp(displayName?: string): Promise<SignUpMutation['signUp'] & { password: string; email: string }> {
  const input = newAccount(displayName);
  const { signUp } = await run(client(), SignUpDocument, { input });
  return { ...signUp, email: input.email, password: input.password };
}

/** A signed-up account whose token carries SELLER (minted with the stack's key, as the subgraphs' tests do). */
async function signUpSeller(displayName: string): Promise<{ id: string; displayName: string; token: string }> {
  const { user } = await signUp(displayName);
  return { id: user.id, displayName: user.displayName, token: await stack.tokens.issueAccessToken({ id: user.id, roles: ['BUYER', 'SELLER'] }) };
}

async function createBook(sellerToken: string, title: string) {
  const input = { isbn: freshIsbn13(), title, authors: ['Contract Author'], genres: ['Fiction'], language: 'en' };
  return (await run(client(() => sellerToken), CreateBookDocument, { input })).createBook.book;
}

async function createListing(sellerToken: string, bookId: string, amount: number, quantity = 50) {
  const input = { bookId, condition: 'GOOD' as const, price: { amount, currency: 'EUR' }, quantity };
  return (await run(client(() => sellerToken), CreateListingDocument, { input })).createListing.listing;
}

async function waitForRow(database: keyof typeof pools, sql: string, id: string): Promise<void> {
  const count = await eventually(async () => (await pools[database].query(sql, [id])).rowCount ?? 0, (rows) => rows > 0);
  if (count === 0) throw new Error(`${database} never learnt of ${id}`);
}
/** Waits until reviews and wishlist have the book from BookCreated. */
const bookProjected = (id: string) =>
  Promise.all([
    waitForRow('reviews', 'SELECT 1 FROM known_books WHERE book_id = $1', id),
    waitForRow('wishlist', 'SELECT 1 FROM books WHERE id = $1', id),
  ]);
/** Waits until the cart can sell the listing (ListingCreated with its price, ACTIVE). */
const listingProjected = (id: string) =>
  waitForRow('cart', `SELECT 1 FROM listings WHERE id = $1 AND price_amount IS NOT NULL AND status = 'ACTIVE' AND removed_at IS NULL`, id);

describe('the account flow through Apollo Client', () => {
  it('signs up, reads me, updates the profile in the normalised cache, refreshes and logs out', async () => {
    let token: string | undefined;
    const apollo = client(() => token);
    const input = newAccount('Ada');

    const { signUp } = await run(apollo, SignUpDocument, { input });
    expect(signUp.user).toMatchObject({ email: input.email, displayName: 'Ada', roles: ['BUYER'] });
    expect(new Date(signUp.session.accessTokenExpiresAt).getTime()).toBeGreaterThan(Date.now());
    token = signUp.session.accessToken;

    const { me } = await run(apollo, MeDocument);
    expect(me).toEqual({ __typename: 'User', ...signUp.user });
    const userKey = apollo.cache.identify({ __typename: 'User', id: signUp.user.id });
    expect(userKey).toBe(`User:${signUp.user.id}`);

    const { updateProfile } = await run(apollo, UpdateProfileDocument, { input: { displayName: '  Ada Lovelace ' } });
    expect(updateProfile.user).toEqual({ __typename: 'User', id: signUp.user.id, displayName: 'Ada Lovelace' });
    // The mutation returned the User entity: the cached `me` changed with it, no refetch needed.
    expect(apollo.readQuery({ query: MeDocument })?.me).toMatchObject({ id: signUp.user.id, displayName: 'Ada Lovelace', email: input.email });

    const { refreshSession } = await run(apollo, RefreshSessionDocument, { refreshToken: signUp.session.refreshToken });
    expect(refreshSession.user.id).toBe(signUp.user.id);
    expect(refreshSession.session.refreshToken).not.toBe(signUp.session.refreshToken);
    token = refreshSession.session.accessToken;
    expect((await run(apollo, MeDocument)).me?.displayName).toBe('Ada Lovelace');

    const { logOut } = await run(apollo, LogOutDocument, { refreshToken: refreshSession.session.refreshToken });
    expect(logOut.loggedOut).toBe(true);
    expect(await errorCodes(run(apollo, RefreshSessionDocument, { refreshToken: refreshSession.session.refreshToken }))).toEqual([
      'UNAUTHENTICATED',
    ]);
    token = undefined;
    await apollo.clearStore();
    expect((await run(apollo, MeDocument)).me).toBeNull();
  });
});

describe('the storefront flow through Apollo Client', () => {
  it('searches page by page, shows a book, wishes, reviews, carts and reads a price alert, keeping the normalised cache right', async () => {
    const seller = await signUpSeller('Wombat Books');
    // Five books only this search finds; the first gets an offer.
    const books = [];
    for (const volume of ['I', 'II', 'III', 'IV', 'V']) books.push(await createBook(seller.token, `Wombat Chronicles ${volume}`));
    const [first] = books;
    const listing = await createListing(seller.token, first!.id, 1100, 5);
    await Promise.all([bookProjected(first!.id), listingProjected(listing.id)]);

    const { signUp: buyer } = await run(client(), SignUpDocument, { input: newAccount('Wanda') });
    const apollo = client(() => buyer.session.accessToken);

    // Search, two at a time: fetchMore with `after` appends each page to the one cached list.
    const search: SearchBooksQueryVariables = { filter: { query: 'wombat chronicles' }, sort: 'TITLE', first: 2 };
    const observable = apollo.watchQuery({ query: SearchBooksDocument, variables: search, fetchPolicy: 'network-only' });
    const pages: SearchBooksQuery[] = [];
    const subscription = observable.subscribe((result) => {
      if (result.dataState === 'complete') pages.push(result.data);
    });
    try {
      const page1 = await eventually(async () => pages[0], (page) => page !== undefined);
      expect(page1?.books).toMatchObject({ totalCount: 5, pageInfo: { hasNextPage: true } });
      expect(page1?.books.edges.map(({ node }) => node.title)).toEqual(['Wombat Chronicles I', 'Wombat Chronicles II']);
      expect(page1?.books.edges[0]?.node).toMatchObject({ id: first!.id, lowestPrice: { amount: 1100, currency: 'EUR' }, inStock: true, inMyWishlist: false, ratingCount: 0 });
      expect(page1?.books.facets.conditions).toEqual([expect.objectContaining({ value: 'GOOD', count: 1 })]);

      const cachedIds = () => apollo.readQuery({ query: SearchBooksDocument, variables: search })!.books.edges.map(({ node }) => node.id);
      const page2 = await observable.fetchMore({ variables: { after: page1!.books.pageInfo.endCursor } });
      expect(page2.data?.books.edges).toHaveLength(2); // fetchMore resolves with the page itself…
      expect(cachedIds()).toEqual(books.slice(0, 4).map(({ id }) => id)); // …and the cache holds pages 1–2
      // The same page again (a retry, a double tap) replaces it rather than appending it twice.
      await observable.fetchMore({ variables: { after: page1!.books.pageInfo.endCursor } });
      expect(cachedIds()).toEqual(books.slice(0, 4).map(({ id }) => id));
      const page3 = await observable.fetchMore({ variables: { after: page2.data!.books.pageInfo.endCursor } });
      expect(page3.data?.books).toMatchObject({ pageInfo: { hasNextPage: false } });
      const cached = apollo.readQuery({ query: SearchBooksDocument, variables: search })!.books;
      const ids = cached.edges.map(({ node }) => node.id);
      expect(ids).toEqual(books.map(({ id }) => id));
      expect(new Set(ids).size).toBe(5);
      expect(cached.pageInfo).toMatchObject({ hasNextPage: false, endCursor: cached.edges[4]!.cursor });
      expect(cached.totalCount).toBe(5);
      // The watching screen re-renders with the merged list.
      expect(await eventually(async () => pages.at(-1)?.books.edges.length, (length) => length === 5)).toBe(5);
    } finally {
      subscription.unsubscribe();
    }

    // The book page; then AddToWishlist returns the Book, so the cached page shows the heart filled.
    const page = (await run(apollo, BookPageDocument, { id: first!.id })).book!;
    expect(page).toMatchObject({ id: first!.id, title: 'Wombat Chronicles I', inMyWishlist: false, wishlistCount: 0, myReview: null, averageRating: null });
    expect(page.listings.edges.map(({ node }) => node)).toEqual([
      expect.objectContaining({ id: listing.id, price: { __typename: 'Money', amount: 1100, currency: 'EUR' }, seller: { __typename: 'User', id: seller.id, displayName: 'Wombat Books' } }),
    ]);
    expect(page.ratingHistogram.map(({ stars }) => stars)).toEqual([5, 4, 3, 2, 1]);
    await run(apollo, AddToWishlistDocument, { input: { bookId: first!.id, targetPrice: { amount: 1000, currency: 'EUR' } } });
    expect(apollo.readQuery({ query: BookPageDocument, variables: { id: first!.id } })?.book).toMatchObject({ inMyWishlist: true, wishlistCount: 1 });

    // A review: the mutation returns the Book's new ratings, and the cached book page has them.
    await run(apollo, WriteReviewDocument, { input: { bookId: first!.id, rating: 4, title: 'Marsupial epic', body: 'Burrows deep.' } });
    expect(apollo.readQuery({ query: BookPageDocument, variables: { id: first!.id } })?.book).toMatchObject({ averageRating: 4, ratingCount: 1 });

    // The cart. Cart has no id, so the mutation's cart is written back over the cached `me { cart }`.
    expect((await run(apollo, MyCartDocument)).me?.cart).toMatchObject({ items: [], itemCount: 0 });
    const added = await apollo.mutate({
      mutation: AddToCartDocument,
      variables: { input: { listingId: listing.id, quantity: 2 } },
      update: (cache, { data }) => {
        if (data) cache.updateQuery({ query: MyCartDocument }, (current) => (current?.me ? { me: { ...current.me, cart: data.addToCart.cart } } : current));
      },
    });
    expect(added.data?.addToCart.cart.itemCount).toBe(2);
    const cachedCart = (await apollo.query({ query: MyCartDocument, fetchPolicy: 'cache-only' })).data?.me?.cart;
    expect(cachedCart).toMatchObject({ itemCount: 2, subtotal: [{ amount: 2200, currency: 'EUR' }], problems: [] });
    expect(cachedCart?.items).toEqual([
      expect.objectContaining({
        quantity: 2,
        lineTotal: { __typename: 'Money', amount: 2200, currency: 'EUR' },
        listing: expect.objectContaining({ id: listing.id, book: expect.objectContaining({ id: first!.id, title: 'Wombat Chronicles I' }), seller: expect.objectContaining({ displayName: 'Wombat Books' }) }),
      }),
    ]);

    // The seller drops the price below the wished target: a price alert, and a PRICE_CHANGED cart line.
    await run(client(() => seller.token), UpdateListingDocument, { input: { id: listing.id, price: { amount: 900, currency: 'EUR' } } });
    const alerts = await eventually(async () => (await run(apollo, MyNotificationsDocument)).me?.notifications, (value) => (value?.edges.length ?? 0) > 0);
    expect(alerts).toMatchObject({ totalCount: 1, unreadCount: 1 });
    const alert = alerts!.edges[0]!.node;
    expect(alert).toMatchObject({ kind: 'PRICE_ALERT', readAt: null, book: { id: first!.id }, listing: { id: listing.id }, price: { amount: 900 }, targetPrice: { amount: 1000 } });
    const cart = await eventually(async () => (await run(apollo, MyCartDocument)).me?.cart, (value) => (value?.problems.length ?? 0) > 0);
    expect(cart?.problems).toEqual([expect.objectContaining({ kind: 'PRICE_CHANGED', previousPrice: expect.objectContaining({ amount: 1100 }), currentPrice: expect.objectContaining({ amount: 900 }) })]);

    // Opening the notification: the returned Notification updates the cached list in place.
    const { markNotificationRead } = await run(apollo, MarkNotificationReadDocument, { id: alert.id });
    expect(markNotificationRead.notification.readAt).not.toBeNull();
    const cachedAlert = apollo.readQuery({ query: MyNotificationsDocument })?.me?.notifications?.edges[0]?.node;
    expect(cachedAlert).toMatchObject({ id: alert.id, readAt: markNotificationRead.notification.readAt });
  });
});

/** What every operation is run with: who sends it, its variables, and what its result must show. */
interface Fixtures {
  buyer: Awaited<ReturnType<typeof signUp>>;
  adminToken: string;
  seller: Awaited<ReturnType<typeof signUpSeller>>;
  /** A book on sale (one listing, 15.00 EUR, 50 copies) that reviews, wishlist and cart know; two reviews. */
  book: { id: string; isbn13: string; title: string };
  listingId: string;
  /** A book without listings or reviews that reviews and wishlist know, for the entries that change ratings. */
  quietBook: { id: string };
  /** A review of `book` and its author's token. */
  review: { id: string; authorToken: string };
  /** An unread price alert and its owner's token. */
  notification: { id: string; ownerToken: string };
  /** Orders of one copy each of `listingId` (12.00 EUR, by `seller`) by one buyer, at each step of the saga. */
  checkout: CheckoutFixtures;
}
interface CheckoutFixtures {
  buyer: { id: string; token: string };
  listingId: string;
  bookId: string;
  /** AWAITING_PAYMENT, and payments knows it (a declined attempt already FAILED). */
  payable: string;
  toCancel: string;
  paid: string;
  shipped: string;
  /** SHIPPED, for the cache assertion. */
  shippedForCache: string;
  delivered: string;
}
interface Coverage<Data, Variables, Context> {
  document: TypedDocumentNode<Data, Variables>;
  /** Runs first, e.g. to put something in a fresh user's cart; its result goes to `as` and `variables`. */
  setup?: (fixtures: Fixtures) => Promise<Context>;
  as: (fixtures: Fixtures, context: Context) => Promise<string | undefined> | string | undefined;
  variables: (fixtures: Fixtures, context: Context) => Promise<Variables> | Variables;
  check: (data: Data, fixtures: Fixtures, context: Context) => void;
}
type AnyCoverage = Coverage<unknown, Record<string, unknown>, unknown>;
const cover = <Data, Variables, Context = undefined>(coverage: Coverage<Data, Variables, Context>) => coverage as unknown as AnyCoverage;
const anonymous = () => undefined;
const freshBuyer = async () => (await signUp()).session.accessToken;
const asContext = <Context extends { token: string }>(_fixtures: Fixtures, context: Context) => context.token;

/** A fresh buyer with `quantity` copies of the fixture listing in their cart. */
async function buyerWithCart({ listingId }: Fixtures, quantity = 1) {
  const token = await freshBuyer();
  await run(client(() => token), AddToCartDocument, { input: { listingId, quantity } });
  return { token };
}
/** A guest cart (no account) holding one copy of the fixture listing. */
async function guestCartWithLine({ listingId }: Fixtures) {
  const { createGuestCart } = await run(client(), CreateGuestCartDocument);
  await run(client(), AddToCartDocument, { input: { listingId, quantity: 1, guestCartToken: createGuestCart.guestCartToken } });
  return { guestCartToken: createGuestCart.guestCartToken };
}
/** A fresh buyer with the fixture book in their wishlist. */
async function buyerWithWish({ book }: Fixtures) {
  const token = await freshBuyer();
  await run(client(() => token), AddToWishlistDocument, { input: { bookId: book.id, note: 'for the holidays' } });
  return { token };
}
/** A new listing of the fixture book by the fixture seller (dearer than the fixture listing). */
const sellerListing = async ({ seller, book }: Fixtures) => ({ listingId: (await createListing(seller.token, book.id, 2500, 3)).id });

type Stage = 'AWAITING_PAYMENT' | 'PAID' | 'SHIPPED' | 'DELIVERED';
/**
 * An order of one copy of `listingId` by `buyerToken`, driven through the saga (as test/checkout.test.ts
 * does) up to `stage`. At AWAITING_PAYMENT, a declined attempt proves payments learnt of the order, so a
 * PayOrder after it does not race OrderAwaitingPayment.
 */
async function orderAt(buyerToken: string, sellerToken: string, listingId: string, stage: Stage): Promise<string> {
  const buyer = stack.client.withToken(buyerToken);
  const { id } = await placeOrder(buyer, [{ listingId, quantity: 1 }]);
  await orderReaches(buyer, id, 'AWAITING_PAYMENT');
  const token = stage === 'AWAITING_PAYMENT' ? 'tok_chargeDeclined' : 'tok_visa';
  const expected = stage === 'AWAITING_PAYMENT' ? 'FAILED' : 'SUCCEEDED';
  const payment = await eventually(
    () => payOrder(buyer, id, token).catch((error: Error) => ({ status: error.message })),
    (result) => result.status === expected,
  );
  if (payment.status !== expected) throw new Error(`paying order ${id} with ${token}: ${payment.status}`);
  if (stage === 'AWAITING_PAYMENT') return id;
  await orderReaches(buyer, id, 'PAID');
  if (stage === 'PAID') return id;
  await run(client(() => sellerToken), ShipFulfilmentDocument, { orderId: id, carrier: 'DHL', trackingNumber: `JJD${id.slice(0, 8)}` });
  await orderReaches(buyer, id, 'SHIPPED');
  if (stage === 'SHIPPED') return id;
  await run(client(() => buyerToken), ConfirmDeliveryDocument, { orderId: id });
  await orderReaches(buyer, id, 'DELIVERED');
  return id;
}
/** A checkout buyer with orders at every step, of a new listing (12.00 EUR, 20 copies) by the fixture seller. */
async function checkoutFixtures(seller: { token: string }): Promise<CheckoutFixtures> {
  const book = await createBook(seller.token, 'The Checkout Contract');
  const listing = await createListing(seller.token, book.id, 1200, 20);
  const { user, session } = await signUp('Checkout Buyer');
  const at = (stage: Stage) => orderAt(session.accessToken, seller.token, listing.id, stage);
  const [payable, toCancel, paid, shipped, shippedForCache, delivered] = await Promise.all([
    at('AWAITING_PAYMENT'),
    at('AWAITING_PAYMENT'),
    at('PAID'),
    at('SHIPPED'),
    at('SHIPPED'),
    at('DELIVERED'),
  ]);
  return { buyer: { id: user.id, token: session.accessToken }, listingId: listing.id, bookId: book.id, payable, toCancel, paid, shipped, shippedForCache, delivered };
}

/** Waits until reviews learnt of the order's delivery (OrderDelivered): its seller may be rated. */
const deliveryKnown = (orderId: string) =>
  eventually(async () => (await pools.reviews.query('SELECT 1 FROM delivered_sales WHERE order_id = $1', [orderId])).rowCount, (rows) => rows === 1);

/** A new order of the checkout listing delivered to the checkout buyer, who rates the fixture seller for it: the feedback's id. */
async function sellerFeedback({ checkout, seller }: Fixtures): Promise<string> {
  const orderId = await orderAt(checkout.buyer.token, seller.token, checkout.listingId, 'DELIVERED');
  await deliveryKnown(orderId);
  const input = { itemAsDescribed: 5, shippingSpeed: 4, communication: 4, comment: 'As described.' };
  return (await run(client(() => checkout.buyer.token), RateSellerDocument, { orderId, sellerId: seller.id, input })).rateSeller.feedback.id;
}

/** One entry per operation in schema/operations; a new operation without an entry fails this suite. */
const OPERATIONS: Record<string, AnyCoverage> = {
  // account/, admin/, profile/
  SignUp: cover({
    document: SignUpDocument,
    as: anonymous,
    variables: () => ({ input: newAccount() }),
    check: ({ signUp }) => expect(signUp.user.roles).toEqual(['BUYER']),
  }),
  LogIn: cover({
    document: LogInDocument,
    as: anonymous,
    variables: ({ buyer }) => ({ input: { email: buyer.email, password: buyer.password } }),
    check: ({ logIn }, { buyer }) => expect(logIn.user.id).toBe(buyer.user.id),
  }),
  RefreshSession: cover({
    document: RefreshSessionDocument,
    as: anonymous,
    variables: async () => ({ refreshToken: (await signUp()).session.refreshToken }),
    check: ({ refreshSession }) => expect(refreshSession.session.accessToken).toBeTruthy(),
  }),
  LogOut: cover({
    document: LogOutDocument,
    as: anonymous,
    variables: async () => ({ refreshToken: (await signUp()).session.refreshToken }),
    check: ({ logOut }) => expect(logOut.loggedOut).toBe(true),
  }),
  Me: cover({
    document: MeDocument,
    as: ({ buyer }) => buyer.session.accessToken,
    variables: () => ({}),
    check: ({ me }, { buyer }) => expect(me?.id).toBe(buyer.user.id),
  }),
  UpdateProfile: cover({
    document: UpdateProfileDocument,
    as: freshBuyer,
    variables: () => ({ input: { displayName: 'Ishmael' } }),
    check: ({ updateProfile }) => expect(updateProfile.user.displayName).toBe('Ishmael'),
  }),
  BecomeSeller: cover({
    document: BecomeSellerDocument,
    as: freshBuyer,
    variables: () => ({}),
    check: ({ becomeSeller }) => expect(becomeSeller.user.roles).toEqual(['BUYER', 'SELLER']),
  }),
  SetUserRoles: cover({
    document: SetUserRolesDocument,
    as: ({ adminToken }) => adminToken,
    variables: async () => ({ input: { userId: (await signUp()).user.id, roles: ['BUYER', 'SELLER'] satisfies Role[] } }),
    check: ({ setUserRoles }) => expect(setUserRoles.user.roles).toEqual(['BUYER', 'SELLER']),
  }),
  UserProfile: cover({
    document: UserProfileDocument,
    as: anonymous,
    variables: ({ buyer }) => ({ id: buyer.user.id }),
    check: ({ user }, { buyer }) => expect(user).toMatchObject({ id: buyer.user.id, displayName: buyer.user.displayName, email: null }),
  }),
  RunPayouts: cover({
    document: RunPayoutsDocument,
    as: ({ adminToken }) => adminToken,
    variables: () => ({}),
    // The stack keeps the default 7-day hold, so the fixtures' sales are not due yet: nothing to pay.
    check: ({ runPayouts }) => expect(runPayouts).toMatchObject({ released: 0, payouts: [] }),
  }),
  MarketplaceCommission: cover({
    document: MarketplaceCommissionDocument,
    as: ({ adminToken }) => adminToken,
    variables: () => ({}),
    check: ({ marketplaceCommission }) => expect(marketplaceCommission).toMatchObject([{ amount: expect.any(Number), currency: 'EUR' }]),
  }),
  UpdateBook: cover({
    document: UpdateBookDocument,
    setup: async ({ seller }) => ({ bookId: (await createBook(seller.token, 'A Book With A Typo')).id }),
    as: ({ adminToken }) => adminToken,
    variables: (_fixtures, { bookId }) => ({ input: { id: bookId, title: 'A Book Without A Typo', publisher: 'Corrected Press' } }),
    check: ({ updateBook }, _fixtures, { bookId }) => expect(updateBook.book).toMatchObject({ id: bookId, title: 'A Book Without A Typo', publisher: 'Corrected Press' }),
  }),

  // storefront/
  SearchBooks: cover({
    document: SearchBooksDocument,
    as: ({ buyer }) => buyer.session.accessToken,
    variables: ({ book }) => ({ filter: { query: book.title, inStock: true }, sort: 'RELEVANCE' as const, first: 5 }),
    check: ({ books }, { book }) => {
      expect(books.totalCount).toBeGreaterThanOrEqual(1);
      expect(books.edges[0]?.node).toMatchObject({ id: book.id, lowestPrice: { amount: 1500, currency: 'EUR' }, inStock: true, ratingCount: 2, averageRating: 4, inMyWishlist: false });
      expect(books.facets.languages).toContainEqual(expect.objectContaining({ value: 'en' }));
      expect(books.facets.price?.min.amount).toBe(1500);
    },
  }),
  BookByIsbn: cover({
    document: BookByIsbnDocument,
    as: anonymous,
    variables: ({ book }) => ({ isbn: book.isbn13 }),
    check: ({ bookByIsbn }, { book }) => expect(bookByIsbn).toMatchObject({ id: book.id, isbn13: book.isbn13, title: book.title, inStock: true }),
  }),

  // book/
  BookPage: cover({
    document: BookPageDocument,
    as: ({ review }) => review.authorToken,
    variables: ({ book }) => ({ id: book.id }),
    check: ({ book }, fixtures) => {
      expect(book).toMatchObject({ id: fixtures.book.id, title: fixtures.book.title, authors: [{ name: 'Contract Author' }], ratingCount: 2, averageRating: 4 });
      expect(book?.listings.edges[0]?.node).toMatchObject({ id: fixtures.listingId, condition: 'GOOD', quantity: 50, price: { amount: 1500 }, seller: { id: fixtures.seller.id, displayName: 'Contract Seller' } });
      expect(book?.ratingHistogram).toEqual([5, 4, 3, 2, 1].map((stars) => ({ __typename: 'RatingBucket', stars, count: stars === 5 || stars === 3 ? 1 : 0 })));
      expect(book?.reviews.totalCount).toBe(2);
      expect(book?.reviews.edges.map(({ node }) => node.author.displayName).sort()).toEqual(['Critic', 'Reviewer']);
      expect(book?.reviews.edges[0]?.node).toMatchObject({ verifiedPurchase: false, helpfulCount: expect.any(Number) });
      expect(book?.myReview?.id).toBe(fixtures.review.id);
    },
  }),
  MoreReviews: cover({
    document: MoreReviewsDocument,
    setup: async ({ book }) => {
      const { book: firstPage } = await run(client(), MoreReviewsDocument, { bookId: book.id, first: 1 });
      return { firstPage: firstPage! };
    },
    as: anonymous,
    variables: ({ book }, { firstPage }) => ({ bookId: book.id, first: 1, after: firstPage.reviews.pageInfo.endCursor }),
    check: ({ book }, _fixtures, { firstPage }) => {
      expect(firstPage.reviews.pageInfo.hasNextPage).toBe(true);
      expect(book?.reviews.edges).toHaveLength(1);
      expect(book?.reviews.edges[0]?.node.id).not.toBe(firstPage.reviews.edges[0]?.node.id);
      expect(book?.reviews.pageInfo.hasNextPage).toBe(false);
    },
  }),
  WriteReview: cover({
    document: WriteReviewDocument,
    as: freshBuyer,
    variables: ({ quietBook }) => ({ input: { bookId: quietBook.id, rating: 5, title: '  Loved it ', body: 'Read it twice.' } }),
    check: ({ writeReview }, { quietBook }) => {
      expect(writeReview.review).toMatchObject({ rating: 5, title: 'Loved it', verifiedPurchase: false, helpfulCount: 0, author: { displayName: 'Reader' } });
      expect(writeReview.review.book).toMatchObject({ id: quietBook.id, ratingCount: expect.any(Number) });
    },
  }),
  EditReview: cover({
    document: EditReviewDocument,
    as: ({ review }) => review.authorToken,
    variables: ({ review }) => ({ input: { id: review.id, title: 'Still great', body: 'Better the second time.' } }),
    check: ({ editReview }, { review, book }) => expect(editReview.review).toMatchObject({ id: review.id, rating: 5, title: 'Still great', book: { id: book.id, averageRating: 4 } }),
  }),
  DeleteReview: cover({
    document: DeleteReviewDocument,
    setup: async ({ quietBook }) => {
      const token = await freshBuyer();
      const { writeReview } = await run(client(() => token), WriteReviewDocument, { input: { bookId: quietBook.id, rating: 1, title: 'Meh', body: 'Not for me.' } });
      return { token, reviewId: writeReview.review.id };
    },
    as: asContext,
    variables: (_fixtures, { reviewId }) => ({ id: reviewId }),
    check: ({ deleteReview }, { quietBook }, { reviewId }) => expect(deleteReview).toMatchObject({ deletedReviewId: reviewId, book: { id: quietBook.id, myReview: null } }),
  }),
  MarkReviewHelpful: cover({
    document: MarkReviewHelpfulDocument,
    as: freshBuyer,
    variables: ({ review }) => ({ id: review.id }),
    check: ({ markReviewHelpful }, { review }) => {
      expect(markReviewHelpful.review.id).toBe(review.id);
      expect(markReviewHelpful.review.helpfulCount).toBeGreaterThanOrEqual(1);
    },
  }),

  // cart/
  MyCart: cover({
    document: MyCartDocument,
    setup: (fixtures) => buyerWithCart(fixtures, 2),
    as: asContext,
    variables: () => ({}),
    check: ({ me }, { listingId, book, seller }) => {
      expect(me?.cart).toMatchObject({ itemCount: 2, subtotal: [{ amount: 3000, currency: 'EUR' }], problems: [] });
      expect(me?.cart?.items).toEqual([
        expect.objectContaining({
          quantity: 2,
          unitPrice: { __typename: 'Money', amount: 1500, currency: 'EUR' },
          lineTotal: { __typename: 'Money', amount: 3000, currency: 'EUR' },
          listing: expect.objectContaining({ id: listingId, book: expect.objectContaining({ id: book.id, title: book.title }), seller: expect.objectContaining({ id: seller.id, displayName: 'Contract Seller' }) }),
        }),
      ]);
    },
  }),
  AddToCart: cover({
    document: AddToCartDocument,
    as: freshBuyer,
    variables: ({ listingId }) => ({ input: { listingId, quantity: 3 } }),
    check: ({ addToCart }, { listingId }) => {
      expect(addToCart.cart).toMatchObject({ itemCount: 3, subtotal: [{ amount: 4500, currency: 'EUR' }] });
      expect(addToCart.cart.items.map((item) => item.listing.id)).toEqual([listingId]);
    },
  }),
  UpdateCartItem: cover({
    document: UpdateCartItemDocument,
    setup: (fixtures) => buyerWithCart(fixtures),
    as: asContext,
    variables: ({ listingId }) => ({ input: { listingId, quantity: 4 } }),
    check: ({ updateCartItem }) => expect(updateCartItem.cart).toMatchObject({ itemCount: 4, items: [{ quantity: 4, lineTotal: { amount: 6000 } }] }),
  }),
  RemoveFromCart: cover({
    document: RemoveFromCartDocument,
    setup: (fixtures) => buyerWithCart(fixtures),
    as: asContext,
    variables: ({ listingId }) => ({ input: { listingId } }),
    check: ({ removeFromCart }) => expect(removeFromCart.cart).toMatchObject({ itemCount: 0, items: [], subtotal: [] }),
  }),
  ClearCart: cover({
    document: ClearCartDocument,
    setup: (fixtures) => buyerWithCart(fixtures, 2),
    as: asContext,
    variables: () => ({}),
    check: ({ clearCart }) => expect(clearCart.cart).toMatchObject({ itemCount: 0, items: [] }),
  }),
  CreateGuestCart: cover({
    document: CreateGuestCartDocument,
    as: anonymous,
    variables: () => ({}),
    check: ({ createGuestCart }) => {
      expect(createGuestCart.guestCartToken).toMatch(/^gct_/);
      expect(createGuestCart.cart).toMatchObject({ itemCount: 0, items: [] });
    },
  }),
  GuestCart: cover({
    document: GuestCartDocument,
    setup: guestCartWithLine,
    as: anonymous,
    variables: (_fixtures, { guestCartToken }) => ({ token: guestCartToken }),
    check: ({ guestCart }, { listingId }) => expect(guestCart).toMatchObject({ itemCount: 1, items: [{ listing: { id: listingId, seller: { displayName: 'Contract Seller' } } }] }),
  }),
  MergeGuestCart: cover({
    document: MergeGuestCartDocument,
    setup: async (fixtures) => ({ ...(await guestCartWithLine(fixtures)), ...(await buyerWithCart(fixtures, 2)) }),
    as: asContext,
    variables: (_fixtures, { guestCartToken }) => ({ input: { guestCartToken } }),
    check: ({ mergeGuestCart }, { listingId }) => expect(mergeGuestCart.cart).toMatchObject({ itemCount: 3, items: [{ quantity: 3, listing: { id: listingId } }] }),
  }),

  // wishlist/
  MyWishlist: cover({
    document: MyWishlistDocument,
    setup: buyerWithWish,
    as: asContext,
    variables: () => ({}),
    check: ({ me }, { book }) => {
      expect(me?.wishlist?.items.totalCount).toBe(1);
      expect(me?.wishlist?.items.edges[0]?.node).toMatchObject({ note: 'for the holidays', book: { id: book.id, title: book.title, inMyWishlist: true, lowestPrice: { amount: 1500 } } });
    },
  }),
  AddToWishlist: cover({
    document: AddToWishlistDocument,
    as: freshBuyer,
    variables: ({ book }) => ({ input: { bookId: book.id, note: 'a gift', targetPrice: { amount: 1200, currency: 'EUR' } } }),
    check: ({ addToWishlist }, { book }) => {
      expect(addToWishlist.item).toMatchObject({ note: 'a gift', targetPrice: { amount: 1200, currency: 'EUR' }, book: { id: book.id, inMyWishlist: true } });
      expect(addToWishlist.item.book.wishlistCount).toBeGreaterThanOrEqual(1);
    },
  }),
  UpdateWishlistItem: cover({
    document: UpdateWishlistItemDocument,
    setup: buyerWithWish,
    as: asContext,
    variables: ({ book }) => ({ input: { bookId: book.id, note: null, targetPrice: { amount: 999, currency: 'EUR' } } }),
    check: ({ updateWishlistItem }, { book }) => expect(updateWishlistItem.item).toMatchObject({ note: null, targetPrice: { amount: 999 }, book: { id: book.id } }),
  }),
  RemoveFromWishlist: cover({
    document: RemoveFromWishlistDocument,
    setup: buyerWithWish,
    as: asContext,
    variables: ({ book }) => ({ bookId: book.id }),
    check: ({ removeFromWishlist }) => expect(removeFromWishlist).toMatchObject({ removed: true, wishlist: { items: { totalCount: 0 } } }),
  }),
  MyNotifications: cover({
    document: MyNotificationsDocument,
    as: ({ notification }) => notification.ownerToken,
    variables: () => ({ unreadOnly: false }),
    check: ({ me }, { notification }) => {
      expect(me?.notifications?.totalCount).toBe(1);
      expect(me?.notifications?.edges[0]?.node).toMatchObject({ id: notification.id, kind: 'PRICE_ALERT', price: { amount: 800 }, targetPrice: { amount: 1000 } });
    },
  }),
  MarkNotificationRead: cover({
    document: MarkNotificationReadDocument,
    as: ({ notification }) => notification.ownerToken,
    variables: ({ notification }) => ({ id: notification.id }),
    check: ({ markNotificationRead }, { notification }) => {
      expect(markNotificationRead.notification.id).toBe(notification.id);
      expect(new Date(markNotificationRead.notification.readAt ?? 0).getTime()).toBeGreaterThan(Date.now() - 60_000);
    },
  }),

  // checkout/
  PlaceOrder: cover({
    document: PlaceOrderDocument,
    setup: async () => ({ token: await freshBuyer(), idempotencyKey: randomUUID() }),
    as: asContext,
    variables: ({ checkout }, { idempotencyKey }) => ({ input: { items: [{ listingId: checkout.listingId, quantity: 2 }], shippingAddress: SHIPPING_ADDRESS }, idempotencyKey }),
    check: ({ placeOrder }, { checkout }) => {
      // awaitStock (the operation's default): the answer came once the catalog reserved the stock, priced.
      expect(placeOrder.order).toMatchObject({
        status: 'AWAITING_PAYMENT',
        total: { amount: 2400, currency: 'EUR' },
        lines: [{ quantity: 2, listing: { id: checkout.listingId }, book: { id: checkout.bookId }, unitPrice: { amount: 1200, currency: 'EUR' } }],
      });
      expect(new Date(placeOrder.order.expiresAt).getTime()).toBeGreaterThan(Date.now());
    },
  }),
  PayOrder: cover({
    document: PayOrderDocument,
    as: ({ checkout }) => checkout.buyer.token,
    variables: ({ checkout }) => ({ input: { orderId: checkout.payable, paymentMethodToken: 'tok_visa', idempotencyKey: randomUUID() } }),
    check: ({ payOrder }, { checkout }) => {
      expect(payOrder.payment).toMatchObject({ status: 'SUCCEEDED', failureCode: null, failureReason: null, amount: { amount: 1200, currency: 'EUR' }, order: { id: checkout.payable } });
      expect(payOrder.payment.transactions.map(({ kind }) => kind)).toEqual(['AUTHORIZATION', 'CAPTURE']);
      expect(payOrder.payment.transactions[1]?.amount).toMatchObject({ amount: 1200, currency: 'EUR' });
    },
  }),
  CancelOrder: cover({
    document: CancelOrderDocument,
    as: ({ checkout }) => checkout.buyer.token,
    variables: ({ checkout }) => ({ orderId: checkout.toCancel, reason: 'Changed my mind' }),
    check: ({ cancelOrder }, { checkout }) => {
      expect(cancelOrder.order).toMatchObject({ id: checkout.toCancel, status: 'CANCELLED' });
      expect(cancelOrder.order.statusHistory.at(-1)).toMatchObject({ status: 'CANCELLED', reason: expect.stringContaining('Changed my mind') });
    },
  }),

  // orders/
  MyOrders: cover({
    document: MyOrdersDocument,
    as: ({ checkout }) => checkout.buyer.token,
    variables: () => ({ first: 100, status: 'DELIVERED' as const }),
    check: ({ me }, { checkout }) => {
      const nodes = me?.orders?.edges.map(({ node }) => node) ?? [];
      expect(nodes.map(({ status }) => status)).toEqual(nodes.map(() => 'DELIVERED'));
      expect(nodes).toContainEqual(
        expect.objectContaining({ id: checkout.delivered, total: { __typename: 'Money', amount: 1200, currency: 'EUR' }, lines: [expect.objectContaining({ quantity: 1, book: expect.objectContaining({ id: checkout.bookId }) })] }),
      );
    },
  }),
  OrderTracking: cover({
    document: OrderTrackingDocument,
    as: ({ checkout }) => checkout.buyer.token,
    variables: ({ checkout }) => ({ id: checkout.delivered }),
    check: ({ order }, { checkout, seller }) => {
      expect(order).toMatchObject({
        id: checkout.delivered,
        status: 'DELIVERED',
        total: { amount: 1200, currency: 'EUR' },
        shippingAddress: { city: 'Berlin', country: 'DE' },
        rejectionReasons: [],
        payment: { status: 'SUCCEEDED' },
        lines: [{ quantity: 1, listing: { id: checkout.listingId }, book: { id: checkout.bookId, title: 'The Checkout Contract' }, seller: { id: seller.id, displayName: 'Contract Seller' }, unitPrice: { amount: 1200 } }],
        fulfilments: [{ status: 'DELIVERED', carrier: 'DHL', trackingNumber: expect.stringMatching(/^JJD/), seller: { id: seller.id, displayName: 'Contract Seller' } }],
      });
      expect(order?.fulfilments[0]?.shippedAt).toBeTruthy();
      expect(order?.fulfilments[0]?.deliveredAt).toBeTruthy();
      expect(order?.statusHistory.map(({ status }) => status)).toEqual(['PENDING', 'AWAITING_PAYMENT', 'PAID', 'SHIPPED', 'DELIVERED']);
    },
  }),
  ConfirmDelivery: cover({
    document: ConfirmDeliveryDocument,
    as: ({ checkout }) => checkout.buyer.token,
    variables: ({ checkout }) => ({ orderId: checkout.shipped }),
    check: ({ confirmDelivery }, { checkout }) => {
      expect(confirmDelivery.order).toMatchObject({ id: checkout.shipped, status: 'DELIVERED', fulfilments: [{ status: 'DELIVERED', carrier: 'DHL' }] });
      expect(confirmDelivery.order.fulfilments[0]?.deliveredAt).toBeTruthy();
    },
  }),

  // seller-feedback/
  RateSeller: cover({
    document: RateSellerDocument,
    setup: ({ checkout }) => deliveryKnown(checkout.delivered),
    as: ({ checkout }) => checkout.buyer.token,
    variables: ({ checkout, seller }) => ({
      orderId: checkout.delivered,
      sellerId: seller.id,
      input: { itemAsDescribed: 5, shippingSpeed: 3, communication: 4, comment: ' Good copy, slow post. ' },
    }),
    check: ({ rateSeller }, { checkout, seller }) => {
      expect(rateSeller.feedback).toMatchObject({ rating: 4, positive: true, comment: 'Good copy, slow post.', buyer: { id: checkout.buyer.id, displayName: 'Checkout Buyer' }, response: null });
      expect(rateSeller.feedback.seller).toMatchObject({ id: seller.id, sellerReputation: { sellerId: seller.id, ratingCount: expect.any(Number) } });
    },
  }),
  UpdateSellerFeedback: cover({
    document: UpdateSellerFeedbackDocument,
    setup: async (fixtures) => ({ feedbackId: await sellerFeedback(fixtures) }),
    as: ({ checkout }) => checkout.buyer.token,
    variables: (_fixtures, { feedbackId }) => ({ id: feedbackId, input: { communication: 1, comment: 'Never answered.' } }),
    check: ({ updateSellerFeedback }, _fixtures, { feedbackId }) =>
      expect(updateSellerFeedback.feedback).toMatchObject({ id: feedbackId, itemAsDescribed: 5, communication: 1, comment: 'Never answered.', positive: false }),
  }),
  RespondToSellerFeedback: cover({
    document: RespondToSellerFeedbackDocument,
    setup: async (fixtures) => ({ feedbackId: await sellerFeedback(fixtures) }),
    as: ({ seller }) => seller.token,
    variables: (_fixtures, { feedbackId }) => ({ id: feedbackId, response: 'Thank you!' }),
    check: ({ respondToSellerFeedback }, _fixtures, { feedbackId }) =>
      expect(respondToSellerFeedback.feedback).toMatchObject({ id: feedbackId, response: { text: 'Thank you!', respondedAt: expect.any(String) } }),
  }),
  SellerReputation: cover({
    document: SellerReputationDocument,
    setup: async (fixtures) => ({ feedbackId: await sellerFeedback(fixtures) }),
    as: anonymous,
    variables: ({ seller }) => ({ sellerId: seller.id, feedbackFirst: 50 }),
    check: ({ user }, { seller }, { feedbackId }) => {
      expect(user).toMatchObject({ id: seller.id, displayName: seller.displayName, sellerReputation: { sellerId: seller.id, ratingCountLast12Months: user?.sellerReputation.ratingCount } });
      expect(user?.sellerReputation.recentFeedback.edges.map(({ node }) => node.id)).toContain(feedbackId);
      expect(user?.sellerReputation.averageRating).toBeGreaterThanOrEqual(1);
    },
  }),

  // seller/
  SellerOrders: cover({
    document: SellerOrdersDocument,
    as: ({ seller }) => seller.token,
    variables: () => ({ status: 'DELIVERED' as const, first: 100 }),
    check: ({ sellerOrders }, { checkout }) => {
      expect(sellerOrders.edges.map(({ node }) => node)).toContainEqual(
        expect.objectContaining({
          id: checkout.delivered,
          status: 'DELIVERED',
          buyer: expect.objectContaining({ id: checkout.buyer.id, displayName: 'Checkout Buyer' }),
          lines: [expect.objectContaining({ quantity: 1, listing: expect.objectContaining({ id: checkout.listingId }), lineTotal: expect.objectContaining({ amount: 1200 }) })],
        }),
      );
    },
  }),
  MyEarnings: cover({
    document: MyEarningsDocument,
    as: ({ seller }) => seller.token,
    variables: () => ({ first: 100 }),
    check: ({ me }, { checkout }) => {
      // The fixture orders paid 12.00 EUR each to the seller; 10 % commission stays with the marketplace.
      expect(me?.balance).toMatchObject({ pending: [{ currency: 'EUR', amount: expect.any(Number) }], available: [{ amount: 0 }], paidOut: [{ amount: 0 }] });
      expect(me?.ledger?.edges.map(({ node }) => ({ kind: node.kind, account: node.account, amount: node.amount.amount, orderId: node.order?.id }))).toContainEqual({
        kind: 'SALE',
        account: 'PENDING',
        amount: 1080,
        orderId: checkout.delivered,
      });
      const pending = me!.ledger!.edges.reduce((sum, { node }) => sum + (node.account === 'PENDING' ? node.amount.amount : 0), 0);
      expect(me?.balance?.pending[0]?.amount).toBe(pending);
      expect(me?.payouts).toMatchObject({ totalCount: 0, edges: [] });
    },
  }),
  ShipFulfilment: cover({
    document: ShipFulfilmentDocument,
    as: ({ seller }) => seller.token,
    variables: ({ checkout }) => ({ orderId: checkout.paid, carrier: 'UPS', trackingNumber: '1Z999AA10123456784' }),
    check: ({ shipFulfilment }, { checkout, seller }) => {
      expect(shipFulfilment.order).toMatchObject({
        id: checkout.paid,
        status: 'SHIPPED',
        fulfilments: [{ status: 'SHIPPED', carrier: 'UPS', trackingNumber: '1Z999AA10123456784', deliveredAt: null, seller: { id: seller.id } }],
      });
      expect(shipFulfilment.order.fulfilments[0]?.shippedAt).toBeTruthy();
    },
  }),
  MyListings: cover({
    document: MyListingsDocument,
    as: ({ seller }) => seller.token,
    variables: () => ({ first: 100 }),
    check: ({ me }, { listingId, book }) => expect(me?.listings.edges.map(({ node }) => node)).toContainEqual(expect.objectContaining({ id: listingId, status: 'ACTIVE', book: expect.objectContaining({ id: book.id }) })),
  }),
  CreateBook: cover({
    document: CreateBookDocument,
    as: ({ seller }) => seller.token,
    variables: () => ({ input: { isbn: freshIsbn13(), title: 'A Fresh Book', authors: ['New Author'], language: 'en' } }),
    check: ({ createBook }) => expect(createBook.book).toMatchObject({ title: 'A Fresh Book', authors: [{ name: 'New Author' }], language: 'en' }),
  }),
  CreateListing: cover({
    document: CreateListingDocument,
    as: ({ seller }) => seller.token,
    variables: ({ book }) => ({ input: { bookId: book.id, condition: 'LIKE_NEW' as const, price: { amount: 3000, currency: 'EUR' }, quantity: 2 } }),
    check: ({ createListing }, { book, seller }) =>
      expect(createListing.listing).toMatchObject({ status: 'ACTIVE', condition: 'LIKE_NEW', quantity: 2, book: { id: book.id, lowestPrice: { amount: 1500 } }, seller: { id: seller.id } }),
  }),
  UpdateListing: cover({
    document: UpdateListingDocument,
    setup: sellerListing,
    as: ({ seller }) => seller.token,
    variables: (_fixtures, { listingId }) => ({ input: { id: listingId, price: { amount: 2600, currency: 'EUR' }, condition: 'VERY_GOOD' as const } }),
    check: ({ updateListing }, _fixtures, { listingId }) => expect(updateListing.listing).toMatchObject({ id: listingId, condition: 'VERY_GOOD', price: { amount: 2600 } }),
  }),
  PauseListing: cover({
    document: PauseListingDocument,
    setup: sellerListing,
    as: ({ seller }) => seller.token,
    variables: (_fixtures, { listingId }) => ({ id: listingId }),
    check: ({ pauseListing }) => expect(pauseListing.listing).toMatchObject({ status: 'PAUSED', quantity: 3 }),
  }),
  ResumeListing: cover({
    document: ResumeListingDocument,
    setup: async (fixtures) => {
      const { listingId } = await sellerListing(fixtures);
      await run(client(() => fixtures.seller.token), PauseListingDocument, { id: listingId });
      return { listingId };
    },
    as: ({ seller }) => seller.token,
    variables: (_fixtures, { listingId }) => ({ id: listingId }),
    check: ({ resumeListing }) => expect(resumeListing.listing).toMatchObject({ status: 'ACTIVE', quantity: 3 }),
  }),
  RestockListing: cover({
    document: RestockListingDocument,
    setup: sellerListing,
    as: ({ seller }) => seller.token,
    variables: (_fixtures, { listingId }) => ({ input: { id: listingId, quantity: 2 } }),
    check: ({ restockListing }) => expect(restockListing.listing).toMatchObject({ status: 'ACTIVE', quantity: 5 }),
  }),
  RemoveListing: cover({
    document: RemoveListingDocument,
    setup: sellerListing,
    as: ({ seller }) => seller.token,
    variables: (_fixtures, { listingId }) => ({ id: listingId }),
    check: ({ removeListing }, _fixtures, { listingId }) => expect(removeListing.listing).toMatchObject({ id: listingId, status: 'REMOVED' }),
  }),
};

describe('every operation in schema/operations', () => {
  let fixtures: Fixtures;
  beforeAll(async () => {
    const [buyer, admin, seller] = await Promise.all([signUp('Buyer'), signUp('Admin'), signUpSeller('Contract Seller')]);
    const [book, quietBook, alertBook] = await Promise.all([
      createBook(seller.token, 'The Contract Table'),
      createBook(seller.token, 'A Quiet Contract'),
      createBook(seller.token, 'The Alerting Contract'),
    ]);
    // The orders take a few saga round trips: drive them while the rest is set up.
    const checkout = checkoutFixtures(seller);
    const listing = await createListing(seller.token, book.id, 1500);
    await Promise.all([bookProjected(book.id), bookProjected(quietBook.id), bookProjected(alertBook.id), listingProjected(listing.id)]);

    // Two reviews of the book (5 and 3 stars), by accounts with names.
    const [reviewer, critic] = await Promise.all([signUp('Reviewer'), signUp('Critic')]);
    const reviewInput = (rating: number) => ({ input: { bookId: book.id, rating, title: `${rating} stars`, body: 'A considered opinion.' } });
    const { writeReview } = await run(client(() => reviewer.session.accessToken), WriteReviewDocument, reviewInput(5));
    await run(client(() => critic.session.accessToken), WriteReviewDocument, reviewInput(3));

    // A price alert: a watcher wishes for alertBook below 10.00 EUR, then it is listed at 8.00.
    const watcher = await freshBuyer();
    await run(client(() => watcher), AddToWishlistDocument, { input: { bookId: alertBook.id, targetPrice: { amount: 1000, currency: 'EUR' } } });
    await createListing(seller.token, alertBook.id, 800, 1);
    const alerts = await eventually(async () => (await run(client(() => watcher), MyNotificationsDocument)).me?.notifications, (value) => (value?.edges.length ?? 0) > 0);
    const notificationId = alerts?.edges[0]?.node.id;
    if (!notificationId) throw new Error('the price alert never came');

    fixtures = {
      buyer,
      adminToken: await stack.tokens.issueAccessToken({ id: admin.user.id, roles: ['BUYER', 'ADMIN'] }),
      seller,
      book: { id: book.id, isbn13: book.isbn13, title: book.title },
      quietBook: { id: quietBook.id },
      listingId: listing.id,
      review: { id: writeReview.review.id, authorToken: reviewer.session.accessToken },
      notification: { id: notificationId, ownerToken: watcher },
      checkout: await checkout,
    };
  });

  it('has an entry in this table (add one with variables and a check for each new operation)', () => {
    const names = loadOperationFiles().flatMap(({ operations }) => operations.map((operation) => operation.name?.value ?? ''));
    expect(names.filter((name) => !(name in OPERATIONS)), 'operations without an entry').toEqual([]);
    expect(Object.keys(OPERATIONS).filter((name) => !names.includes(name)), 'entries without an operation').toEqual([]);
  });

  it.each(Object.entries(OPERATIONS))('%s runs against the router', async (_name, coverage) => {
    const context = await coverage.setup?.(fixtures);
    const token = await coverage.as(fixtures, context);
    const data = await run(client(() => token), coverage.document, await coverage.variables(fixtures, context));
    coverage.check(data, fixtures, context);
  });

  it('updates the cached order page and order list from ConfirmDelivery, without a refetch', async () => {
    const { buyer, shippedForCache: orderId } = fixtures.checkout;
    const apollo = client(() => buyer.token);
    const tracked = (await run(apollo, OrderTrackingDocument, { id: orderId })).order;
    expect(tracked).toMatchObject({ status: 'SHIPPED', fulfilments: [{ status: 'SHIPPED', deliveredAt: null }] });
    // MyOrders selects other line fields; the cache merges its lines into the order page's (mergeByPosition).
    const list = { first: 100 };
    expect((await run(apollo, MyOrdersDocument, list)).me?.orders?.edges.find(({ node }) => node.id === orderId)?.node.status).toBe('SHIPPED');

    const { confirmDelivery } = await run(apollo, ConfirmDeliveryDocument, { orderId });
    expect(confirmDelivery.order.status).toBe('DELIVERED');
    // Order is normalised as Order:<id>: the screens showing it read the new status from the cache.
    expect(apollo.cache.identify({ __typename: 'Order', id: orderId })).toBe(`Order:${orderId}`);
    const cached = (await apollo.query({ query: OrderTrackingDocument, variables: { id: orderId }, fetchPolicy: 'cache-only' })).data?.order;
    expect(cached).toMatchObject({ id: orderId, status: 'DELIVERED', total: { amount: 1200 }, fulfilments: [{ status: 'DELIVERED', carrier: 'DHL' }] });
    expect(cached?.fulfilments[0]?.deliveredAt).toBe(confirmDelivery.order.fulfilments[0]?.deliveredAt);
    expect(cached?.statusHistory.at(-1)?.status).toBe('DELIVERED');
    const cachedList = apollo.readQuery({ query: MyOrdersDocument, variables: list })?.me?.orders?.edges;
    expect(cachedList?.find(({ node }) => node.id === orderId)?.node.status).toBe('DELIVERED');
  });
});
