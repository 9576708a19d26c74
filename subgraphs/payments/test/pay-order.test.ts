import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awaitingPayment, count, outboxEvents, PAY, pay, PAYMENT_FIELDS, providerCharges, startPaymentsWorldWithBuyer, type PaymentShape, type PaymentsBuyer, type PaymentsWorld } from './helpers';
import { eventually, signUpAs } from '@bazaar/testing';

/** payOrder through the router, with the test-mode provider's documented tokens. */
let world: PaymentsWorld;
let buyer: PaymentsBuyer;

beforeAll(async () => void ({ world, buyer } = await startPaymentsWorldWithBuyer()));
afterAll(async () => world?.stop());

describe('payOrder', () => {
  it('authorises the order total, captures once orders accepts, and publishes PaymentAuthorized then PaymentSucceeded', async () => {
    const orderId = await awaitingPayment(world, buyer.id, 2599);
    const payment = await pay(buyer.client, orderId, 'tok_visa');
    expect(payment).toMatchObject({ status: 'SUCCEEDED', failureCode: null, order: { id: orderId }, amount: { amount: 2599, currency: 'EUR' } });
    expect(payment.transactions.map((transaction) => [transaction.kind, transaction.amount.amount])).toEqual([['AUTHORIZATION', 2599], ['CAPTURE', 2599]]);
    expect(await providerCharges(world.pool, orderId)).toBe(1);
    expect(await outboxEvents(world.pool, orderId)).toMatchObject([
      { type: 'PaymentAuthorized', data: { paymentId: payment.id, orderId, amount: { amount: 2599, currency: 'EUR' } } },
      { type: 'PaymentSucceeded', data: { paymentId: payment.id, orderId, amount: { amount: 2599, currency: 'EUR' } } },
    ]);
    // The relay hands them to the transport (orders consumes them there).
    await eventually(
      () => count(world.pool, 'SELECT count(*) AS n FROM outbox_events WHERE key = $1 AND published_at IS NOT NULL', [orderId]),
      (published) => published === 2,
    );

    // The buyer reads it back, as the payment and as the order's payment.
    const { payment: read } = await buyer.client.data<{ payment: PaymentShape }>(`query($id: ID!) { payment(id: $id) { ${PAYMENT_FIELDS} } }`, { id: payment.id });
    expect(read).toEqual(payment);
    const { payment: viaOrder } = await buyer.client.data<{ payment: { order: { id: string; payment: { id: string; status: string } } } }>(
      `query($id: ID!) { payment(id: $id) { order { id payment { id status } } } }`,
      { id: payment.id },
    );
    expect(viaOrder.order).toEqual({ id: orderId, payment: { id: payment.id, status: 'SUCCEEDED' } });
    // A paid order cannot be paid again (with a new key).
    expect(await buyer.client.errorCodes(PAY, { input: { orderId, paymentMethodToken: 'tok_visa', idempotencyKey: randomUUID() } })).toEqual(['BAD_USER_INPUT']);
    expect(await providerCharges(world.pool, orderId)).toBe(1);
  });

  it('records a declined card as FAILED with PaymentFailed; a retry with a new key succeeds', async () => {
    const orderId = await awaitingPayment(world, buyer.id, 1000);
    const declined = await pay(buyer.client, orderId, 'tok_chargeDeclined');
    expect(declined).toMatchObject({ status: 'FAILED', failureCode: 'CARD_DECLINED', transactions: [] });
    expect(declined.failureReason).toMatch(/declined/);
    const retried = await pay(buyer.client, orderId, 'tok_visa');
    expect(retried.status).toBe('SUCCEEDED');
    expect(retried.id).not.toBe(declined.id);
    expect((await outboxEvents(world.pool, orderId)).map(({ type, data }) => [type, data.code ?? null])).toEqual([
      ['PaymentFailed', 'CARD_DECLINED'],
      ['PaymentAuthorized', null],
      ['PaymentSucceeded', null],
    ]);
    expect(await providerCharges(world.pool, orderId)).toBe(1);
  });

  it('fails for insufficient funds', async () => {
    const orderId = await awaitingPayment(world, buyer.id);
    expect(await pay(buyer.client, orderId, 'tok_insufficientFunds')).toMatchObject({ status: 'FAILED', failureCode: 'INSUFFICIENT_FUNDS' });
    expect(await outboxEvents(world.pool, orderId)).toMatchObject([{ type: 'PaymentFailed', data: { code: 'INSUFFICIENT_FUNDS' } }]);
    expect(await providerCharges(world.pool, orderId)).toBe(0);
  });

  it('fails with PROVIDER_TIMEOUT when the provider does not answer, and records no charge', async () => {
    const orderId = await awaitingPayment(world, buyer.id);
    const key = randomUUID();
    const timedOut = await pay(buyer.client, orderId, 'tok_timeout', key);
    expect(timedOut).toMatchObject({ status: 'FAILED', failureCode: 'PROVIDER_TIMEOUT', transactions: [] });
    expect(await outboxEvents(world.pool, orderId)).toMatchObject([{ type: 'PaymentFailed', data: { code: 'PROVIDER_TIMEOUT' } }]);
    expect(await providerCharges(world.pool, orderId)).toBe(0);
    // The key's result is stored: the same request replays FAILED without calling the provider again.
    expect((await pay(buyer.client, orderId, 'tok_timeout', key)).id).toBe(timedOut.id);
  });

  it('answers an order it has not heard of with a retryable SERVICE_UNAVAILABLE, and refuses other buyers\' orders, non-buyers and anonymous callers', async () => {
    const orderId = await awaitingPayment(world, buyer.id);
    const other = await signUpAs(world.stack);
    const seller = await signUpAs(world.stack, ['SELLER']);
    const input = (id: string) => ({ input: { orderId: id, paymentMethodToken: 'tok_visa', idempotencyKey: randomUUID() } });
    // Payments cannot tell an order still on its way from one that does not exist: never NOT_FOUND.
    const unknown = await buyer.client.request(PAY, input(randomUUID()));
    expect(unknown.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', reason: 'ORDER_NOT_KNOWN_YET', retryable: true, retryAfterSeconds: 1 });
    expect(await other.client.errorCodes(PAY, input(orderId))).toEqual(['FORBIDDEN']);
    expect(await seller.client.errorCodes(PAY, input(orderId))).toEqual(['FORBIDDEN']);
    expect(await world.stack.client.errorCodes(PAY, input(orderId))).toEqual(['UNAUTHENTICATED']);
    expect(await count(world.pool, 'SELECT count(*) AS n FROM payments WHERE order_id = $1', [orderId])).toBe(0);
  });

  it('rejects bad input with BAD_USER_INPUT and writes nothing', async () => {
    const orderId = await awaitingPayment(world, buyer.id);
    const before = await count(world.pool, 'SELECT count(*) AS n FROM idempotency_keys');
    for (const input of [
      { orderId, paymentMethodToken: '', idempotencyKey: randomUUID() },
      { orderId, paymentMethodToken: 'tok_visa', idempotencyKey: '' },
      { orderId, paymentMethodToken: 'tok_visa', idempotencyKey: '   ' },
      { orderId: '', paymentMethodToken: 'tok_visa', idempotencyKey: randomUUID() },
    ]) {
      expect(await buyer.client.errorCodes(PAY, { input })).toEqual(['BAD_USER_INPUT']);
    }
    expect(await count(world.pool, 'SELECT count(*) AS n FROM payments WHERE order_id = $1', [orderId])).toBe(0);
    expect(await count(world.pool, 'SELECT count(*) AS n FROM idempotency_keys')).toBe(before);
    expect(await count(world.pool, 'SELECT count(*) AS n FROM outbox_events WHERE key = $1', [orderId])).toBe(0);
  });

  it('shows a payment to its buyer and admins only', async () => {
    const orderId = await awaitingPayment(world, buyer.id);
    const payment = await pay(buyer.client, orderId, 'tok_visa');
    const query = `query($id: ID!) { payment(id: $id) { id status } }`;
    const other = await signUpAs(world.stack);
    const admin = await signUpAs(world.stack, ['ADMIN']);
    expect(await other.client.errorCodes(query, { id: payment.id })).toEqual(['FORBIDDEN']);
    expect((await admin.client.data<{ payment: { id: string } }>(query, { id: payment.id })).payment.id).toBe(payment.id);
    expect((await buyer.client.data<{ payment: unknown }>(query, { id: randomUUID() })).payment).toBeNull();
    expect((await buyer.client.data<{ payment: unknown }>(query, { id: 'not-a-payment' })).payment).toBeNull();
  });
});
