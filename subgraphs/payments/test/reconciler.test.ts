import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '@bazaar/testing';
import { loadPaymentsConfig } from '../src/index';
import { awaitingPayment, cancelOrder, count, pay, payAndCrash, providerAuthorizations, providerCharges, startPaymentsWorldWithBuyer, type PaymentsBuyer, type PaymentsWorld } from './helpers';

/** The reconciler puts right what a dead request or older data left behind (docs/checkout.md, "Reconciliation"). */
let world: PaymentsWorld;
let buyer: PaymentsBuyer;
const INTERVAL_MS = 300;

beforeAll(async () => void ({ world, buyer } = await startPaymentsWorldWithBuyer({ PAYMENTS_RECONCILE_INTERVAL_MS: String(INTERVAL_MS) })));
afterAll(async () => world?.stop());

const statusOf = async (orderId: string) => (await world.pool.query<{ status: string; failure_code: string | null }>('SELECT status, failure_code FROM payments WHERE order_id = $1 ORDER BY created_at', [orderId])).rows;

describe('the payments reconciler', () => {
  it('refuses to start with a lease shorter than the provider timeout', () => {
    expect(() => loadPaymentsConfig({ PAYMENTS_DATABASE_URL: 'postgres://x@localhost/p', PAYMENTS_PROVIDER_TIMEOUT_MS: '5000', PAYMENTS_IDEMPOTENCY_LEASE_MS: '4000' })).toThrow(
      /PAYMENTS_IDEMPOTENCY_LEASE_MS: must be at least PAYMENTS_PROVIDER_TIMEOUT_MS/,
    );
  });

  it('settles a payment whose request died after the provider authorised: orders accepts it and it is captured', async () => {
    const orderId = await awaitingPayment(world, buyer.id, 2300);
    await payAndCrash(world, buyer.token, orderId, randomUUID());
    expect(await statusOf(orderId)).toEqual([{ status: 'PENDING', failure_code: null }]);
    const started = Date.now();
    // Nobody retries: the reconciler finds it once its lease (2 s here) ran out.
    const settled = await eventually(() => statusOf(orderId), (rows) => rows[0]?.status === 'SUCCEEDED', 60_000);
    console.log(`payment left PENDING after the provider call: settled by the reconciler after ${Math.round((Date.now() - started) / 100) / 10} s (lease 2 s, interval ${INTERVAL_MS} ms); captures = ${await providerCharges(world.pool, orderId)}`);
    expect(settled).toEqual([{ status: 'SUCCEEDED', failure_code: null }]);
    expect(await providerCharges(world.pool, orderId)).toBe(1);
  });

  it('lets the money go for an order cancelled meanwhile: the authorization is voided, nothing captured', async () => {
    const orderId = await awaitingPayment(world, buyer.id, 1700);
    await payAndCrash(world, buyer.token, orderId, randomUUID());
    await cancelOrder(world, orderId, buyer.id);
    const settled = await eventually(() => statusOf(orderId), (rows) => rows[0]?.status === 'FAILED', 60_000);
    expect(settled).toEqual([{ status: 'FAILED', failure_code: 'ORDER_NOT_PAYABLE' }]);
    expect(await providerAuthorizations(world.pool, orderId)).toBe(1);
    expect(await providerCharges(world.pool, orderId)).toBe(0);
    const voids = await count(world.pool, `SELECT count(*) AS n FROM provider_charges v JOIN payments p ON v.charge_id = p.charge_reference WHERE p.order_id = $1 AND v.kind = 'VOID'`, [orderId]);
    console.log(`payment left PENDING, order cancelled meanwhile: captures = 0, voids = ${voids}`);
    expect(voids).toBe(1);
  });

  it('refunds a second captured payment of an order paid by another one, and money captured for a cancelled order', async () => {
    const orderId = await awaitingPayment(world, buyer.id, 1200);
    const accepted = await pay(buyer.client, orderId, 'tok_visa');
    expect(accepted.status).toBe('SUCCEEDED');
    // A duplicate captured outside this flow (as older code could): an authorization and capture at the provider, recorded SUCCEEDED.
    const duplicate = await insertCapturedPayment(orderId, 1200);
    const refunded = await eventually(() => statusOf(orderId), (rows) => rows.filter(({ status }) => status === 'REFUNDED').length === 1, 60_000);
    expect(refunded.map(({ status }) => status).sort()).toEqual(['REFUNDED', 'SUCCEEDED']);
    const { rows } = await world.pool.query<{ status: string }>('SELECT status FROM payments WHERE id = $1', [duplicate]);
    expect(rows).toEqual([{ status: 'REFUNDED' }]);

    // An order payments knows cancelled, with money still captured (its refund never happened): refunded.
    const cancelled = await awaitingPayment(world, buyer.id, 800);
    const held = await insertCapturedPayment(cancelled, 800);
    await world.pool.query(`UPDATE payable_orders SET status = 'CANCELLED' WHERE id = $1`, [cancelled]);
    await eventually(async () => (await world.pool.query<{ status: string }>('SELECT status FROM payments WHERE id = $1', [held])).rows[0]?.status, (status) => status === 'REFUNDED', 60_000);
    console.log('duplicate captured payment and money held for a cancelled order: both refunded by the reconciler');
  });
});

/** Records a captured payment and its provider records directly, as a faulty older flow could have left it. */
async function insertCapturedPayment(orderId: string, amount: number): Promise<string> {
  const authorization = `au_${randomUUID().replaceAll('-', '')}`;
  const { rows } = await world.pool.query<{ id: string }>(
    `INSERT INTO payments (id, order_id, buyer_id, amount, currency, status, charge_reference, updated_at)
     VALUES (gen_random_uuid(), $1, $2, $3, 'EUR', 'SUCCEEDED', $4, now()) RETURNING id`,
    [orderId, buyer.id, amount, authorization],
  );
  const id = rows[0]!.id;
  await world.pool.query(
    `INSERT INTO provider_charges (id, idempotency_key, kind, token, amount, currency, outcome) VALUES ($1, $2, 'AUTHORIZATION', 'tok_visa', $3, 'EUR', 'SUCCEEDED'),
       ($4, $5, 'CAPTURE', NULL, $3, 'EUR', 'SUCCEEDED')`,
    [authorization, `payment_${id}`, amount, `cp_${randomUUID().replaceAll('-', '')}`, `capture_${id}`],
  );
  await world.pool.query(`UPDATE provider_charges SET charge_id = $1 WHERE idempotency_key = $2`, [authorization, `capture_${id}`]);
  return id;
}
