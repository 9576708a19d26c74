import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '@bazaar/testing';
import { awaitingPayment, cancelOrder, count, outboxEvents, pay, PAYMENT_FIELDS, startPaymentsWorldWithBuyer, type PaymentShape, type PaymentsBuyer, type PaymentsWorld } from './helpers';

/** Orders cancelled after payment are refunded in full, once. */
let world: PaymentsWorld;
let buyer: PaymentsBuyer;

beforeAll(async () => void ({ world, buyer } = await startPaymentsWorldWithBuyer()));
afterAll(async () => world?.stop());

const providerRefunds = (orderId: string) =>
  count(world.pool, `SELECT count(*) AS n FROM provider_charges r JOIN payments p ON r.charge_id = p.charge_reference WHERE p.order_id = $1 AND r.kind = 'REFUND'`, [orderId]);

const readPayment = async (id: string) =>
  (await buyer.client.data<{ payment: PaymentShape }>(`query($id: ID!) { payment(id: $id) { ${PAYMENT_FIELDS} } }`, { id })).payment;

describe('refunds', () => {
  it('refunds a captured payment when its order is cancelled, once however often the event comes', async () => {
    const orderId = await awaitingPayment(world, buyer.id, 1999);
    const paid = await pay(buyer.client, orderId, 'tok_visa');
    const first = await cancelOrder(world, orderId, buyer.id, 3);
    const refunded = await eventually(() => readPayment(paid.id), (payment) => payment.status === 'REFUNDED');
    expect(refunded).toMatchObject({ status: 'REFUNDED', refundedAmount: { amount: 1999, currency: 'EUR' } });
    expect(refunded.transactions.map((transaction) => [transaction.kind, transaction.amount.amount])).toEqual([
      ['AUTHORIZATION', 1999],
      ['CAPTURE', 1999],
      ['REFUND', 1999],
    ]);
    // A second cancellation (another event id) refunds nothing more.
    const second = await cancelOrder(world, orderId, buyer.id);
    await eventually(
      () => count(world.pool, 'SELECT count(*) AS n FROM processed_events WHERE event_id = ANY($1::uuid[])', [[first.id, second.id]]),
      (processed) => processed === 2,
    );
    expect(await providerRefunds(orderId)).toBe(1);
    const events = await outboxEvents(world.pool, orderId);
    expect(events.map(({ type }) => type)).toEqual(['PaymentAuthorized', 'PaymentSucceeded', 'PaymentRefunded']);
    expect(events[2]).toMatchObject({ data: { paymentId: paid.id, orderId, amount: { amount: 1999, currency: 'EUR' }, full: true } });
    // The order is no longer payable.
    expect(await buyer.client.errorCodes(`mutation($input: PayOrderInput!) { payOrder(input: $input) { payment { id } } }`, {
      input: { orderId, paymentMethodToken: 'tok_visa', idempotencyKey: `again-${orderId}` },
    })).toEqual(['BAD_USER_INPUT']);
  });

  it('refunds nothing for a cancelled order whose payments all failed', async () => {
    const orderId = await awaitingPayment(world, buyer.id, 500);
    const failed = await pay(buyer.client, orderId, 'tok_chargeDeclined');
    const cancelled = await cancelOrder(world, orderId, buyer.id);
    await eventually(() => count(world.pool, 'SELECT count(*) AS n FROM processed_events WHERE event_id = $1', [cancelled.id]), (processed) => processed === 1);
    expect((await readPayment(failed.id)).status).toBe('FAILED');
    expect(await providerRefunds(orderId)).toBe(0);
    expect((await outboxEvents(world.pool, orderId)).map(({ type }) => type)).toEqual(['PaymentFailed']);
  });
});
