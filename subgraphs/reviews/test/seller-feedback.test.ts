import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnvelope, type EventTransport } from '@bazaar/events';
import { OrderDelivered } from '@bazaar/contracts/orders';
import { createTransport } from '@bazaar/events/transports';
import { createBook, createListing, eventually, listBook, mintedUser, settled, signUpAs, startTestStack, type Actor, type GraphQLClient, type TestStack } from '@bazaar/testing';

/**
 * Seller feedback through the router: a real order (orders, books, payments) delivered to its buyer
 * lets them rate its seller once. The many-buyer tests play orders by publishing OrderDelivered to
 * the broker (as orders would, sellers named on its lines), then rate through the router.
 */
let stack: TestStack;
let db: pg.Pool;
let transport: EventTransport;

beforeAll(async () => {
  stack = await startTestStack({ subgraphs: ['users', 'books', 'reviews', 'orders', 'payments'] });
  db = new pg.Pool({ connectionString: stack.databases.reviews!.url });
  transport = createTransport({ EVENT_TRANSPORT: 'postgres', EVENTS_DATABASE_URL: stack.eventsDatabase.url }, 'seller-feedback-test');
});
afterAll(async () => {
  await transport?.close();
  await db?.end();
  await stack?.stop();
});

const RATE = /* GraphQL */ `
  mutation Rate($orderId: ID!, $sellerId: ID!, $input: RateSellerInput!) {
    rateSeller(orderId: $orderId, sellerId: $sellerId, input: $input) {
      feedback { id itemAsDescribed shippingSpeed communication rating positive comment createdAt editableUntil seller { id } buyer { id } response { text } }
    }
  }
`;
const UPDATE = /* GraphQL */ `
  mutation Update($id: ID!, $input: UpdateSellerFeedbackInput!) { updateSellerFeedback(id: $id, input: $input) { feedback { id communication comment rating } } }
`;
const RESPOND = /* GraphQL */ `
  mutation Respond($id: ID!, $response: String!) { respondToSellerFeedback(id: $id, response: $response) { feedback { id response { text respondedAt } } } }
`;
const REPUTATION = /* GraphQL */ `
  query Reputation($id: ID!) {
    user(id: $id) {
      sellerReputation {
        sellerId averageRating ratingCount itemAsDescribed shippingSpeed communication ratingCountLast12Months positiveShareLast12Months
        recentFeedback(first: 2) { totalCount pageInfo { hasNextPage endCursor } edges { node { id comment buyer { id } } } }
      }
    }
  }
`;

interface Reputation {
  sellerId: string;
  averageRating: number | null;
  ratingCount: number;
  itemAsDescribed: number | null;
  shippingSpeed: number | null;
  communication: number | null;
  ratingCountLast12Months: number;
  positiveShareLast12Months: number | null;
  recentFeedback: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: { id: string; comment: string; buyer: { id: string } } }[] };
}

const reputationOf = async (sellerId: string) => (await stack.client.data<{ user: { sellerReputation: Reputation } }>(REPUTATION, { id: sellerId })).user.sellerReputation;

const stars = (itemAsDescribed: number, shippingSpeed: number, communication: number, comment = 'Well packed, as described.') => ({
  itemAsDescribed,
  shippingSpeed,
  communication,
  comment,
});

const rate = (buyer: GraphQLClient, orderId: string, sellerId: string, input = stars(5, 5, 5)) => buyer.request(RATE, { orderId, sellerId, input });

async function orderReaches(buyer: GraphQLClient, orderId: string, status: string) {
  await settled(
    async () => (await buyer.data<{ order: { status: string } }>(`query($id: ID!) { order(id: $id) { status } }`, { id: orderId })).order.status,
    (current) => current === status,
    (current) => `order ${orderId} stayed ${current}, expected ${status}`,
  );
}

/** A real order of one copy of `listingId`, placed and paid by `buyer` through the router. */
async function paidOrder(buyer: GraphQLClient, listingId: string): Promise<string> {
  const { placeOrder } = await buyer.data<{ placeOrder: { order: { id: string } } }>(
    `mutation($input: PlaceOrderInput!, $key: String!) { placeOrder(input: $input, idempotencyKey: $key) { order { id } } }`,
    {
      input: { items: [{ listingId, quantity: 1 }], shippingAddress: { name: 'Bea Buyer', line1: '1 Reading Lane', postalCode: '10115', city: 'Berlin', country: 'DE' } },
      key: randomUUID(),
    },
  );
  const orderId = placeOrder.order.id;
  await orderReaches(buyer, orderId, 'AWAITING_PAYMENT');
  // payments learns that the order is payable from OrderAwaitingPayment.
  await eventually(
    () =>
      buyer.request(`mutation($input: PayOrderInput!) { payOrder(input: $input) { payment { status } } }`, {
        input: { orderId, paymentMethodToken: 'tok_visa', idempotencyKey: randomUUID() },
      }),
    (result) => !result.errors,
  );
  await orderReaches(buyer, orderId, 'PAID');
  return orderId;
}

/** Plays orders: `buyer`'s order `orderId` with one line sold by each of `sellerIds` reached its buyer. */
async function delivered(orderId: string, buyerId: string, sellerIds: string[]) {
  const envelope = createEnvelope(OrderDelivered, {
    source: 'orders',
    key: orderId,
    data: {
      orderId,
      buyerId,
      deliveredAt: new Date().toISOString(),
      lines: sellerIds.map((sellerId) => ({ listingId: randomUUID(), bookId: randomUUID(), quantity: 1, sellerId, unitPrice: { amount: 1000, currency: 'EUR' } })),
    },
  });
  await transport.publish([{ topic: OrderDelivered.topic, key: orderId, id: envelope.id, value: JSON.stringify(envelope) }]);
}

/** Waits until reviews has applied the deliveries: `count` sales of `sellerId` may be rated. */
async function rateable(sellerId: string, count: number) {
  await settled(
    async () => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM delivered_sales WHERE seller_id = $1', [sellerId])).rows[0]!.n),
    (known) => known === count,
    (known) => `reviews knows ${known} of ${count} deliveries by seller ${sellerId}`,
  );
}

/** `count` buyers whose orders from `sellerId` were delivered, ready to rate. */
async function buyersOf(sellerId: string, count: number): Promise<(Actor & { orderId: string })[]> {
  const buyers = await Promise.all(Array.from({ length: count }, async () => ({ ...(await mintedUser(stack)), orderId: randomUUID() })));
  for (const buyer of buyers) await delivered(buyer.orderId, buyer.id, [sellerId]);
  await rateable(sellerId, count);
  return buyers;
}

const codes = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => result.errors?.map((error) => error.extensions?.code) ?? [];

describe('rating a seller', () => {
  it('is possible once per delivered order, for its buyer only: FORBIDDEN before delivery, CONFLICT the second time', async () => {
    const seller = await signUpAs(stack, ['BUYER', 'SELLER'], 'Rated Seller');
    const { listingId } = await listBook(seller.client, { title: 'Rated Seller Book' }, { quantity: 3 });
    const buyer = await mintedUser(stack);
    const stranger = await mintedUser(stack);
    const orderId = await paidOrder(buyer.client, listingId);

    expect(codes(await rate(buyer.client, orderId, seller.id))).toEqual(['FORBIDDEN']); // paid, not delivered
    await seller.client.data(`mutation($id: ID!) { shipFulfilment(orderId: $id, carrier: "DHL", trackingNumber: "JJD01") { order { id } } }`, { id: orderId });
    await orderReaches(buyer.client, orderId, 'SHIPPED');
    expect(codes(await rate(buyer.client, orderId, seller.id))).toEqual(['FORBIDDEN']); // shipped, not delivered
    await buyer.client.data(`mutation($id: ID!) { confirmDelivery(orderId: $id) { order { id } } }`, { id: orderId });
    await orderReaches(buyer.client, orderId, 'DELIVERED');
    await rateable(seller.id, 1); // reviews learns the delivery from orders' OrderDelivered

    // Input is checked first; other people, and the seller themself, may not rate this order.
    expect(codes(await rate(buyer.client, orderId, seller.id, stars(0, 5, 6, ' ')))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await rate(stranger.client, orderId, seller.id))).toEqual(['FORBIDDEN']);
    expect(codes(await rate(seller.client, orderId, seller.id))).toEqual(['FORBIDDEN']);
    expect(codes(await rate(stack.client, orderId, seller.id))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await rate(buyer.client, orderId, randomUUID()))).toEqual(['FORBIDDEN']); // not this order's seller

    const first = await rate(buyer.client, orderId, seller.id, stars(5, 4, 3, '  Fast and friendly.  '));
    expect(first.errors).toBeUndefined();
    const feedback = (first.data as { rateSeller: { feedback: Record<string, unknown> & { id: string; createdAt: string; editableUntil: string } } }).rateSeller.feedback;
    expect(feedback).toMatchObject({ itemAsDescribed: 5, shippingSpeed: 4, communication: 3, rating: 4, positive: true, comment: 'Fast and friendly.', seller: { id: seller.id }, buyer: { id: buyer.id }, response: null });
    expect(Date.parse(feedback.editableUntil) - Date.parse(feedback.createdAt)).toBe(30 * 86_400_000);

    expect(codes(await rate(buyer.client, orderId, seller.id, stars(1, 1, 1)))).toEqual(['CONFLICT']);
    expect(Number((await db.query('SELECT count(*) AS n FROM seller_feedback WHERE order_id = $1', [orderId])).rows[0].n)).toBe(1);

    expect(await reputationOf(seller.id)).toMatchObject({
      sellerId: seller.id,
      averageRating: 4,
      ratingCount: 1,
      itemAsDescribed: 5,
      shippingSpeed: 4,
      communication: 3,
      ratingCountLast12Months: 1,
      positiveShareLast12Months: 1,
      recentFeedback: { totalCount: 1, edges: [{ node: { id: feedback.id, comment: 'Fast and friendly.', buyer: { id: buyer.id } } }] },
    });
    // Every listing links to its seller's reputation (resolved by reviews).
    const { listing } = await stack.client.data<{ listing: { sellerRating: { averageRating: number; ratingCount: number } } }>(
      `query($id: ID!) { listing(id: $id) { sellerRating { averageRating ratingCount } } }`,
      { id: listingId },
    );
    expect(listing.sellerRating).toEqual({ averageRating: 4, ratingCount: 1 });
  });
});

describe('seller feedback after it is given', () => {
  it('is editable by its buyer for 30 days, and answered by its seller once', async () => {
    const seller = await signUpAs(stack, ['BUYER', 'SELLER'], 'Rated Seller');
    const [buyer] = await buyersOf(seller.id, 1);
    const { rateSeller } = await buyer!.client.data<{ rateSeller: { feedback: { id: string } } }>(RATE, { orderId: buyer!.orderId, sellerId: seller.id, input: stars(4, 4, 4) });
    const id = rateSeller.feedback.id;

    expect(await seller.client.errorCodes(UPDATE, { id, input: { communication: 5 } })).toEqual(['FORBIDDEN']);
    expect(await buyer!.client.errorCodes(UPDATE, { id, input: { communication: 9 } })).toEqual(['BAD_USER_INPUT']);
    expect(await buyer!.client.errorCodes(UPDATE, { id: randomUUID(), input: { communication: 1 } })).toEqual(['NOT_FOUND']);
    const { updateSellerFeedback } = await buyer!.client.data<{ updateSellerFeedback: { feedback: { communication: number; comment: string; rating: number } } }>(UPDATE, {
      id,
      input: { communication: 1, comment: 'Never answered my questions.' },
    });
    expect(updateSellerFeedback.feedback).toEqual({ id, communication: 1, comment: 'Never answered my questions.', rating: 3 });
    expect(await reputationOf(seller.id)).toMatchObject({ averageRating: 3, ratingCount: 1, communication: 1, positiveShareLast12Months: 0 });

    expect(await buyer!.client.errorCodes(RESPOND, { id, response: 'Thanks!' })).toEqual(['FORBIDDEN']);
    expect(await seller.client.errorCodes(RESPOND, { id, response: '   ' })).toEqual(['BAD_USER_INPUT']);
    const { respondToSellerFeedback } = await seller.client.data<{ respondToSellerFeedback: { feedback: { response: { text: string } } } }>(RESPOND, {
      id,
      response: ' Sorry: we were on holiday. ',
    });
    expect(respondToSellerFeedback.feedback.response.text).toBe('Sorry: we were on holiday.');
    expect(await seller.client.errorCodes(RESPOND, { id, response: 'Second answer' })).toEqual(['CONFLICT']);

    // 31 days later the feedback can no longer change.
    await db.query(`UPDATE seller_feedback SET created_at = created_at - interval '31 days' WHERE id = $1`, [id]);
    expect(await buyer!.client.errorCodes(UPDATE, { id, input: { communication: 5 } })).toEqual(['FORBIDDEN']);
    expect(await reputationOf(seller.id)).toMatchObject({ averageRating: 3, communication: 1 });
  });
});

describe('seller aggregates', () => {
  it('stay exact under 50 concurrent ratings of one seller', async () => {
    const seller = await signUpAs(stack, ['BUYER', 'SELLER'], 'Rated Seller');
    const buyers = await buyersOf(seller.id, 50);
    // item 1..5 evenly (sum 150), shipping always 5 (250), communication 4 for the first 20 and 3 after (170):
    // overall 570 / 150 = 3.8; positive (criteria sum >= 12): 12 of the first 20 and 12 of the other 30.
    const results = await Promise.all(
      buyers.map((buyer, index) => rate(buyer.client, buyer.orderId, seller.id, stars((index % 5) + 1, 5, index < 20 ? 4 : 3))),
    );
    expect(results.flatMap(codes)).toEqual([]);
    const reputation = await reputationOf(seller.id);
    expect(reputation).toMatchObject({
      averageRating: 3.8,
      ratingCount: 50,
      itemAsDescribed: 3,
      shippingSpeed: 5,
      communication: 3.4,
      ratingCountLast12Months: 50,
      positiveShareLast12Months: 0.48,
      recentFeedback: { totalCount: 50, pageInfo: { hasNextPage: true } },
    });
    console.log(`50 concurrent ratings of one seller: count ${reputation.ratingCount}, average ${reputation.averageRating}, positive share ${reputation.positiveShareLast12Months}`);
    const { rows } = await db.query('SELECT count, item_as_described_sum, shipping_speed_sum, communication_sum, revision FROM seller_ratings WHERE seller_id = $1', [seller.id]);
    expect(rows).toEqual([{ count: 50, item_as_described_sum: 150, shipping_speed_sum: 250, communication_sum: 170, revision: '50' }]);
    // Books' projection ends at the last revision, whatever order the 50 SellerRatingChanged events arrived in.
    const books = new pg.Pool({ connectionString: stack.databases.books!.url });
    try {
      await expect
        .poll(async () => (await books.query('SELECT average, count, revision FROM seller_ratings WHERE seller_id = $1', [seller.id])).rows, { timeout: 30_000 })
        .toEqual([{ average: 3.8, count: 50, revision: '50' }]);
    } finally {
      await books.end();
    }

    // Paging through the feedback sees each once.
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const { user }: { user: { sellerReputation: { recentFeedback: Reputation['recentFeedback'] } } } = await stack.client.data(
        `query($id: ID!, $after: String) { user(id: $id) { sellerReputation { recentFeedback(first: 20, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id comment buyer { id } } } } } } }`,
        { id: seller.id, after },
      );
      seen.push(...user.sellerReputation.recentFeedback.edges.map(({ node }) => node.id));
      if (!user.sellerReputation.recentFeedback.pageInfo.hasNextPage) break;
      after = user.sellerReputation.recentFeedback.pageInfo.endCursor;
    }
    expect(new Set(seen).size).toBe(50);
    expect(seen).toHaveLength(50);
    expect(await stack.client.errorCodes(REPUTATION.replace('recentFeedback(first: 2)', 'recentFeedback(first: 2, after: "garbage")'), { id: seller.id })).toEqual(['BAD_USER_INPUT']);
  });
});

describe('offers sorted by seller rating', () => {
  it('list the best-rated sellers first, then the most rated, unrated sellers last, across pages', async () => {
    const sellers = await Promise.all(Array.from({ length: 4 }, () => mintedUser(stack, ['BUYER', 'SELLER'])));
    const [best, manyFours, oneFour, unrated] = sellers as [Actor, Actor, Actor, Actor];
    const { id: bookId } = await createBook(best.client, { title: 'Offered Four Times' });
    // The unrated seller is the cheapest: price only breaks ties of rating.
    const listings = await Promise.all(
      [best, manyFours, oneFour, unrated].map((seller, index) => createListing(seller.client, bookId, { amount: [2000, 1500, 1200, 900][index]! })),
    );
    const ratings: [Actor, [number, number, number][]][] = [
      [best, [[5, 5, 5]]],
      [manyFours, [[4, 4, 4], [5, 4, 3]]],
      [oneFour, [[4, 4, 4]]],
    ];
    for (const [seller, given] of ratings) {
      const buyers = await buyersOf(seller.id, given.length);
      for (const [index, buyer] of buyers.entries()) {
        expect(codes(await rate(buyer.client, buyer.orderId, seller.id, stars(...given[index]!)))).toEqual([]);
      }
    }

    const SORTED = /* GraphQL */ `
      query($id: ID!, $first: Int, $after: String) {
        book(id: $id) {
          listings(first: $first, after: $after, sort: SELLER_RATING) {
            totalCount pageInfo { hasNextPage endCursor } edges { node { id sellerRating { averageRating ratingCount } } }
          }
        }
      }
    `;
    interface Sorted {
      totalCount: number;
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
      edges: { node: { id: string; sellerRating: { averageRating: number | null; ratingCount: number } } }[];
    }
    const read = async (first: number, after: string | null = null) =>
      (await stack.client.data<{ book: { listings: Sorted } }>(SORTED, { id: bookId, first, after })).book.listings;
    const expected = listings.map(({ id }) => id);
    // Books learns the ratings from reviews' SellerRatingChanged events, a moment later.
    const all = await settled(
      () => read(10),
      (page) => page.edges.map(({ node }) => node.id).join() === expected.join(),
      (page) => `offers sorted ${JSON.stringify(page.edges.map(({ node }) => node))}`,
    );
    expect(all.edges.map(({ node }) => node.sellerRating)).toEqual([
      { averageRating: 5, ratingCount: 1 },
      { averageRating: 4, ratingCount: 2 },
      { averageRating: 4, ratingCount: 1 },
      { averageRating: null, ratingCount: 0 },
    ]);
    expect(all.totalCount).toBe(4);
    const first = await read(3);
    const rest = await read(3, first.pageInfo.endCursor);
    expect([...first.edges, ...rest.edges].map(({ node }) => node.id)).toEqual(expected);
    expect(rest.pageInfo.hasNextPage).toBe(false);
    // A cursor of another order is refused.
    const byPrice = await stack.client.data<{ book: { listings: Sorted } }>(
      `query($id: ID!) { book(id: $id) { listings(first: 1, sort: PRICE_ASC) { totalCount pageInfo { hasNextPage endCursor } edges { node { id sellerRating { averageRating ratingCount } } } } } }`,
      { id: bookId },
    );
    expect(await stack.client.errorCodes(SORTED, { id: bookId, first: 2, after: byPrice.book.listings.pageInfo.endCursor })).toEqual(['BAD_USER_INPUT']);
  });
});
