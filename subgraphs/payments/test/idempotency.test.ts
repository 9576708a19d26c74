import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '@bazaar/testing';
import { awaitingPayment, count, outboxEvents, PAY, pay, payAndCrash, providerAuthorizations, providerCharges, startPaymentsWorldWithBuyer, type PaymentsBuyer, type PaymentsWorld } from './helpers';

/** Idempotency keys as card processors treat them, concurrency, and a crash between the provider and the commit. */
let world: PaymentsWorld;
let buyer: PaymentsBuyer;

beforeAll(async () => void ({ world, buyer } = await startPaymentsWorldWithBuyer()));
afterAll(async () => world?.stop());

const crashOnce = (orderId: string, key: string) => payAndCrash(world, buyer.token, orderId, key);

describe('idempotency keys', () => {
  it('charges once for ten requests with one key, four of them concurrent', async () => {
    const orderId = await awaitingPayment(world, buyer.id, 4200);
    const key = randomUUID();
    const concurrent = await Promise.all(Array.from({ length: 4 }, () => pay(buyer.client, orderId, 'tok_visa', key)));
    const sequential = [];
    for (let time = 0; time < 6; time++) sequential.push(await pay(buyer.client, orderId, 'tok_visa', key));
    const all = [...concurrent, ...sequential];
    expect(new Set(all.map((payment) => payment.id)).size).toBe(1);
    expect(all.every((payment) => payment.status === 'SUCCEEDED')).toBe(true);
    const charges = await providerCharges(world.pool, orderId);
    console.log(`payOrder ×10 with one key (4 concurrent, 6 sequential): provider charges = ${charges}`);
    expect(charges).toBe(1);
    expect(await count(world.pool, 'SELECT count(*) AS n FROM payments WHERE order_id = $1', [orderId])).toBe(1);
    expect((await outboxEvents(world.pool, orderId)).map(({ type }) => type)).toEqual(['PaymentAuthorized', 'PaymentSucceeded']);
  });

  it('answers CONFLICT when a key is reused for a different request', async () => {
    const orderId = await awaitingPayment(world, buyer.id);
    const otherOrder = await awaitingPayment(world, buyer.id);
    const key = randomUUID();
    await pay(buyer.client, orderId, 'tok_chargeDeclined', key);
    expect(await buyer.client.errorCodes(PAY, { input: { orderId, paymentMethodToken: 'tok_visa', idempotencyKey: key } })).toEqual(['CONFLICT']);
    expect(await buyer.client.errorCodes(PAY, { input: { orderId: otherOrder, paymentMethodToken: 'tok_chargeDeclined', idempotencyKey: key } })).toEqual(['CONFLICT']);
    // Surrounding whitespace is normalised away: the same request.
    expect((await pay(buyer.client, orderId, ' tok_chargeDeclined ', key)).status).toBe('FAILED');
    expect(await count(world.pool, 'SELECT count(*) AS n FROM payments WHERE order_id = ANY($1)', [[orderId, otherOrder]])).toBe(1);
  });

  it('charges once when the service dies after the provider call and the client retries with the key', async () => {
    const orderId = await awaitingPayment(world, buyer.id, 3100);
    const key = randomUUID();
    await crashOnce(orderId, key);
    // The provider authorised; our side never committed it.
    expect(await providerAuthorizations(world.pool, orderId)).toBe(1);
    const { rows } = await world.pool.query<{ status: string }>('SELECT status FROM payments WHERE order_id = $1', [orderId]);
    expect(rows).toEqual([{ status: 'PENDING' }]);
    expect(await outboxEvents(world.pool, orderId)).toEqual([]);

    // The client retries through the router with the same key: the provider replays the charge.
    const retried = await pay(buyer.client, orderId, 'tok_visa', key);
    expect(retried.status).toBe('SUCCEEDED');
    expect(retried.transactions.map((transaction) => transaction.kind)).toEqual(['AUTHORIZATION', 'CAPTURE']);
    const charges = await providerCharges(world.pool, orderId);
    console.log(`crash after the provider call, then a retry with the same key: provider charges = ${charges}`);
    expect(charges).toBe(1);
    expect((await outboxEvents(world.pool, orderId)).map(({ type }) => type)).toEqual(['PaymentAuthorized', 'PaymentSucceeded']);
  });

  it('charges once when the client retries a crashed attempt with a new key: the charge made is found and recorded', async () => {
    const orderId = await awaitingPayment(world, buyer.id, 2700);
    const key = randomUUID();
    await crashOnce(orderId, key);
    expect(await providerAuthorizations(world.pool, orderId)).toBe(1);

    // A new key: the interrupted attempt is settled from the provider's records (its authorization
    // goes to orders, which accepts it); the new attempt is refused, in progress or already paid.
    const refused = await buyer.client.errorCodes(PAY, { input: { orderId, paymentMethodToken: 'tok_visa', idempotencyKey: randomUUID() } });
    expect(['CONFLICT', 'BAD_USER_INPUT']).toContain(refused[0]);
    await eventually(
      async () => (await world.pool.query<{ status: string }>('SELECT status FROM payments WHERE order_id = $1', [orderId])).rows,
      (rows) => rows.length === 1 && rows[0]!.status === 'SUCCEEDED',
    );
    // The old key replays it.
    expect((await pay(buyer.client, orderId, 'tok_visa', key)).status).toBe('SUCCEEDED');
    const charges = await providerCharges(world.pool, orderId);
    console.log(`crash after the provider call, then a retry with a new key: provider charges = ${charges}`);
    expect(charges).toBe(1);
    expect((await outboxEvents(world.pool, orderId)).map(({ type }) => type)).toEqual(['PaymentAuthorized', 'PaymentSucceeded']);
  });

  it('lets a retry take over a key whose request died without letting go, once its lease ran out', async () => {
    const orderId = await awaitingPayment(world, buyer.id, 1500);
    const key = randomUUID();
    // What a killed process leaves behind: the key taken (lease running) and the payment PENDING.
    const { rows } = await world.pool.query<{ id: string }>(
      `INSERT INTO payments (id, order_id, buyer_id, amount, currency, status, updated_at) VALUES (gen_random_uuid(), $1, $2, 1500, 'EUR', 'PENDING', now()) RETURNING id`,
      [orderId, buyer.id],
    );
    const hash = createHash('sha256').update(JSON.stringify([orderId, 'tok_visa'])).digest('hex');
    const started = Date.now();
    await world.pool.query(
      `INSERT INTO idempotency_keys (buyer_id, key, request_hash, payment_id, locked_until) VALUES ($1, $2, $3, $4, now() + interval '1 second')`,
      [buyer.id, key, hash, rows[0]!.id],
    );
    const payment = await pay(buyer.client, orderId, 'tok_visa', key);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900); // it waited for the lease
    expect(payment).toMatchObject({ id: rows[0]!.id, status: 'SUCCEEDED' });
    expect(await providerCharges(world.pool, orderId)).toBe(1);
  });
});

describe('attempts that died before the provider charged', () => {
  it('closes them as FAILED when a new attempt comes, so their key can never charge later', async () => {
    const orderId = await awaitingPayment(world, buyer.id, 800);
    const oldKey = randomUUID();
    const { rows } = await world.pool.query<{ id: string }>(
      `INSERT INTO payments (id, order_id, buyer_id, amount, currency, status, updated_at) VALUES (gen_random_uuid(), $1, $2, 800, 'EUR', 'PENDING', now()) RETURNING id`,
      [orderId, buyer.id],
    );
    const hash = createHash('sha256').update(JSON.stringify([orderId, 'tok_visa'])).digest('hex');
    await world.pool.query(
      `INSERT INTO idempotency_keys (buyer_id, key, request_hash, payment_id, locked_until) VALUES ($1, $2, $3, $4, now() - interval '1 second')`,
      [buyer.id, oldKey, hash, rows[0]!.id],
    );
    const fresh = await pay(buyer.client, orderId, 'tok_visa');
    expect(fresh.status).toBe('SUCCEEDED');
    const old = await pay(buyer.client, orderId, 'tok_visa', oldKey);
    expect(old).toMatchObject({ id: rows[0]!.id, status: 'FAILED', failureCode: 'PROVIDER_TIMEOUT' });
    expect(await providerCharges(world.pool, orderId)).toBe(1);
    expect((await outboxEvents(world.pool, orderId)).map(({ type }) => type)).toEqual(['PaymentFailed', 'PaymentAuthorized', 'PaymentSucceeded']);
  });
});
