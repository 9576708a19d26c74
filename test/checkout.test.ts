import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, listBook, mintedUser, signUpAs, startTestStack, type GraphQLClient, type TestStack } from '@bazaar/testing';
import { listingQuantity, orderReaches, payOrder, placeOrder, readOrder } from './checkout-helpers';

/**
 * The checkout saga end to end, through the router, with every subgraph running and talking over
 * the real event transport: cart → order → stock reserved by books → paid through payments →
 * shipped → delivered → a verified review.
 */
let stack: TestStack;
let seller: { id: string; client: GraphQLClient };

beforeAll(async () => {
  stack = await startTestStack();
  seller = await signUpAs(stack, ['BUYER', 'SELLER'], 'Checkout Seller');
});
afterAll(async () => {
  await stack?.stop();
});

describe('the checkout saga', () => {
  it('takes a buyer from cart to paid to delivered to a verified review', async () => {
    const { bookId, listingId } = await listBook(seller.client, { title: 'The Whole Journey', authors: ['Checkout Author'] }, { amount: 1500, quantity: 5, condition: 'NEW' });
    const buyer = await signUpAs(stack, ['BUYER'], 'Journey Buyer');

    // The cart learns the listing from the catalog's events.
    await eventually(
      () => buyer.client.request(`mutation($id: ID!) { addToCart(input: { listingId: $id, quantity: 2 }) { cart { itemCount } } }`, { id: listingId }),
      (result) => !result.errors,
    );
    const { me } = await buyer.client.data<{ me: { cart: { items: Array<{ listing: { id: string }; quantity: number }> } } }>(
      `{ me { cart { items { listing { id } quantity } } } }`,
    );
    const order = await placeOrder(buyer.client, me.cart.items.map((item) => ({ listingId: item.listing.id, quantity: item.quantity })));
    expect(order.status).toBe('PENDING');

    const awaiting = await orderReaches(buyer.client, order.id, 'AWAITING_PAYMENT');
    expect(awaiting.total).toEqual({ amount: 3000, currency: 'EUR' });
    expect(await listingQuantity(stack.client, listingId)).toBe(3);

    // payments learns that the order is payable from OrderAwaitingPayment.
    const payment = await eventually(
      () => payOrder(buyer.client, order.id).catch((error: Error) => ({ status: error.message })),
      (result) => result.status === 'SUCCEEDED',
    );
    expect(payment.status).toBe('SUCCEEDED');
    const paid = await orderReaches(buyer.client, order.id, 'PAID');
    expect(paid.payment).toMatchObject({ status: 'SUCCEEDED', amount: { amount: 3000 } });

    // OrderPaid empties the bought lines from the cart.
    const cart = await eventually(
      async () => (await buyer.client.data<{ me: { cart: { itemCount: number } } }>(`{ me { cart { itemCount } } }`)).me.cart.itemCount,
      (count) => count === 0,
    );
    expect(cart).toBe(0);

    await seller.client.data(`mutation($id: ID!) { shipFulfilment(orderId: $id, carrier: "DHL", trackingNumber: "JJD000390007") { order { id status } } }`, {
      id: order.id,
    });
    await orderReaches(buyer.client, order.id, 'SHIPPED');
    await buyer.client.data(`mutation($id: ID!) { confirmDelivery(orderId: $id) { order { id status } } }`, { id: order.id });
    await orderReaches(buyer.client, order.id, 'DELIVERED');

    // reviews learns the delivery from OrderDelivered: the buyer's review is a verified purchase.
    await eventually(
      () =>
        buyer.client.request(
          `mutation($input: WriteReviewInput!) { writeReview(input: $input) { review { id } } }`,
          { input: { bookId, rating: 5, title: 'Worth the wait', body: 'Arrived well packed; a wonderful read.' } },
        ),
      (result) => !result.errors,
    );
    const verified = await eventually(
      async () =>
        (await buyer.client.data<{ book: { myReview: { verifiedPurchase: boolean } } }>(`query($id: ID!) { book(id: $id) { myReview { verifiedPurchase } } }`, { id: bookId }))
          .book.myReview.verifiedPurchase,
      Boolean,
    );
    expect(verified).toBe(true);
  });

  it('gives the last 3 copies to exactly 3 of 50 buyers ordering at once, and stock never goes below 0', async () => {
    const { listingId } = await listBook(seller.client, { title: 'The Last Three', authors: ['Checkout Author'] }, { amount: 999, quantity: 3, condition: 'NEW' });
    const buyers = await Promise.all(Array.from({ length: 50 }, () => mintedUser(stack)));
    const orders = await Promise.all(buyers.map((buyer) => placeOrder(buyer.client, [{ listingId, quantity: 1 }])));

    const settled = await Promise.all(
      orders.map((order, index) =>
        eventually(
          () => readOrder(buyers[index]!.client, order.id),
          (view) => view.status !== 'PENDING',
          45_000,
        ),
      ),
    );
    const count = (status: string) => settled.filter((order) => order.status === status).length;
    const stock = await listingQuantity(stack.client, listingId);
    console.log(`50 concurrent placeOrder for the last 3 copies: ${count('AWAITING_PAYMENT')} awaiting payment, ${count('REJECTED')} rejected, stock ${stock}`);
    expect(count('AWAITING_PAYMENT')).toBe(3);
    expect(count('REJECTED')).toBe(47);
    expect(stock).toBe(0);
  });

  it('refunds in full and restocks when a paid order is cancelled', async () => {
    const { listingId } = await listBook(seller.client, { title: 'Second Thoughts', authors: ['Checkout Author'] }, { amount: 2500, quantity: 2, condition: 'NEW' });
    const buyer = await mintedUser(stack);
    const order = await placeOrder(buyer.client, [{ listingId, quantity: 2 }]);
    await orderReaches(buyer.client, order.id, 'AWAITING_PAYMENT');
    expect(await listingQuantity(stack.client, listingId)).toBe(0);
    await eventually(
      () => payOrder(buyer.client, order.id).catch((error: Error) => ({ status: error.message })),
      (result) => result.status === 'SUCCEEDED',
    );
    await orderReaches(buyer.client, order.id, 'PAID');

    await buyer.client.data(`mutation($id: ID!) { cancelOrder(orderId: $id, reason: "changed my mind") { order { id status } } }`, { id: order.id });
    const refunded = await orderReaches(buyer.client, order.id, 'REFUNDED');
    expect(refunded.payment).toMatchObject({ status: 'REFUNDED' });
    expect(await eventually(() => listingQuantity(stack.client, listingId), (quantity) => quantity === 2)).toBe(2);
  });

  it('refuses to cancel an order once it has shipped', async () => {
    const { listingId } = await listBook(seller.client, { title: 'Already Sent', authors: ['Checkout Author'] }, { amount: 1200, quantity: 1, condition: 'NEW' });
    const buyer = await mintedUser(stack);
    const order = await placeOrder(buyer.client, [{ listingId, quantity: 1 }]);
    await orderReaches(buyer.client, order.id, 'AWAITING_PAYMENT');
    await eventually(
      () => payOrder(buyer.client, order.id).catch((error: Error) => ({ status: error.message })),
      (result) => result.status === 'SUCCEEDED',
    );
    await orderReaches(buyer.client, order.id, 'PAID');
    await seller.client.data(`mutation($id: ID!) { shipFulfilment(orderId: $id, carrier: "UPS", trackingNumber: "1Z999") { order { id } } }`, { id: order.id });
    const result = await buyer.client.request(`mutation($id: ID!) { cancelOrder(orderId: $id) { order { id } } }`, { id: order.id });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await readOrder(buyer.client, order.id)).status).toBe('SHIPPED');
  });
});
