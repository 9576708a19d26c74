import { createHash } from 'node:crypto';
import { z } from 'zod';
import { PaymentFailed, PaymentSucceeded, type Outbox } from '@bazaar/events';
import { badUserInput, conflict, forbidden, hasRole, notFound, parseInput, requireRole, requireViewer, type AuthState, type DomainError } from '@bazaar/service';
import type { Payment, PrismaClient, Prisma } from '../generated/prisma/client';
import { ProviderTimeoutError, type ChargeResult, type PaymentProvider } from './provider';

/** Hooks for tests only; production code never passes them. */
export interface PaymentHooks {
  /** Runs right after the provider answered, before the result is committed (throw to simulate a crash). */
  afterProviderCall?: () => void | Promise<void>;
}

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);
const payOrderInput = z.object({ orderId: text(100), paymentMethodToken: text(200), idempotencyKey: text(255) });
type PayOrderRequest = z.infer<typeof payOrderInput>;

type ProviderOutcome = ChargeResult | { status: 'TIMEOUT' | 'ABANDONED'; message: string };

const CAPTURED = ['SUCCEEDED', 'REFUNDED', 'PARTIALLY_REFUNDED'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The key the provider de-duplicates a payment's charge by: one per payment, so per client key. */
export const chargeKey = (paymentId: string) => `payment_${paymentId}`;

/**
 * payOrder with card-processor idempotency semantics:
 *  1. The client's key (scoped to the buyer) is inserted first, in its own transaction, under a
 *     unique primary key, with the hash of the normalised request and a lease. Concurrent requests
 *     with the key wait for the lease holder, then replay its stored result; another request with
 *     the key is a CONFLICT.
 *  2. The payment is created PENDING and committed.
 *  3. The provider is called with our idempotency key for the payment (authorize + capture).
 *  4. One transaction records the transactions, the final status and PaymentSucceeded/PaymentFailed
 *     (outbox), and completes the key with its result.
 * A crash between 3 and 4 leaves the key leased and the payment PENDING; the retry with the same key
 * (after the lease, or at once when the failure was reported) calls the provider again with the same
 * idempotency key, gets the same charge back, and commits it: one charge.
 */
export class Payments {
  constructor(
    private readonly db: PrismaClient,
    private readonly outbox: Outbox,
    private readonly provider: PaymentProvider,
    private readonly options: { leaseMs: number; hooks?: PaymentHooks },
  ) {}

  async pay(auth: AuthState, input: unknown): Promise<Payment> {
    const viewer = requireRole(auth, 'BUYER');
    const request = parseInput(payOrderInput, input);
    const order = await this.db.payableOrder.findUnique({ where: { id: request.orderId } });
    if (!order) throw notFound('There is no order awaiting payment with this id.', { orderId: request.orderId });
    if (order.buyerId !== viewer.id) throw forbidden('Only the order\'s buyer can pay it.');

    const requestHash = createHash('sha256').update(JSON.stringify([request.orderId, request.paymentMethodToken])).digest('hex');
    const waitUntil = Date.now() + this.options.leaseMs * 2;
    for (;;) {
      const claim = await this.claim(viewer.id, request.idempotencyKey, requestHash);
      if (claim.kind === 'run') return this.run(viewer.id, request, claim.paymentId);
      if (claim.kind === 'done') return this.db.payment.findUniqueOrThrow({ where: { id: claim.paymentId } });
      if (Date.now() > waitUntil) throw conflict('A request with this idempotency key is still running; retry later.');
      await sleep(25);
    }
  }

  /** Takes the key (new, or left behind by a request that died), or says it is done or busy. */
  private async claim(buyerId: string, key: string, requestHash: string): Promise<{ kind: 'run'; paymentId: string | null } | { kind: 'done'; paymentId: string } | { kind: 'busy' }> {
    const seconds = this.options.leaseMs / 1000;
    const inserted = await this.db.$executeRaw`
      INSERT INTO idempotency_keys (buyer_id, key, request_hash, locked_until)
      VALUES (${buyerId}, ${key}, ${requestHash}, now() + make_interval(secs => ${seconds}::float8))
      ON CONFLICT DO NOTHING`;
    if (inserted === 1) return { kind: 'run', paymentId: null };
    const row = await this.db.idempotencyKey.findUnique({ where: { buyerId_key: { buyerId, key } } });
    if (!row) return { kind: 'busy' }; // its first request failed and let it go: try again
    if (row.requestHash !== requestHash) {
      throw conflict('This idempotency key was already used for a different request; use a new key for a new attempt.');
    }
    if (row.completedAt && row.paymentId) return { kind: 'done', paymentId: row.paymentId };
    const taken = await this.db.$executeRaw`
      UPDATE idempotency_keys SET locked_until = now() + make_interval(secs => ${seconds}::float8)
      WHERE buyer_id = ${buyerId} AND key = ${key} AND completed_at IS NULL AND (locked_until IS NULL OR locked_until < now())`;
    return taken === 1 ? { kind: 'run', paymentId: row.paymentId } : { kind: 'busy' };
  }

  private async run(buyerId: string, request: PayOrderRequest, paymentId: string | null): Promise<Payment> {
    const key = request.idempotencyKey;
    try {
      const payment = paymentId ? await this.db.payment.findUniqueOrThrow({ where: { id: paymentId } }) : await this.start(buyerId, request);
      if (payment.status !== 'PENDING') return await this.complete(payment);
      let outcome: ProviderOutcome;
      try {
        outcome = await this.provider.charge({
          idempotencyKey: chargeKey(payment.id),
          paymentMethodToken: request.paymentMethodToken,
          amount: { amount: payment.amount, currency: payment.currency },
        });
      } catch (error) {
        if (!(error instanceof ProviderTimeoutError)) throw error;
        outcome = { status: 'TIMEOUT', message: error.message };
      }
      await this.options.hooks?.afterProviderCall?.();
      return await this.settle(payment, outcome);
    } catch (error) {
      // Let a retry run at once (a process that died cannot; its lease runs out instead).
      await this.db.idempotencyKey.updateMany({ where: { buyerId, key, completedAt: null }, data: { lockedUntil: null } }).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Settles the order's attempts whose request died (PENDING, key no longer leased) from the
   * provider's records: a charge it made is recorded (and so the order counts as paid); an attempt
   * it never charged is closed as FAILED, so a late retry of its key cannot charge a second time.
   */
  private async settleAbandoned(orderId: string): Promise<void> {
    const abandoned = await this.db.$queryRaw<{ id: string }[]>`
      SELECT p.id FROM payments p LEFT JOIN idempotency_keys k ON k.payment_id = p.id
      WHERE p.order_id = ${orderId} AND p.status = 'PENDING' AND (k.locked_until IS NULL OR k.locked_until <= now())`;
    const seconds = this.options.leaseMs / 1000;
    for (const { id } of abandoned) {
      // Take its key's lease first, so a retry of that key waits for this instead of racing it.
      const taken = await this.db.$executeRaw`
        UPDATE idempotency_keys SET locked_until = now() + make_interval(secs => ${seconds}::float8)
        WHERE payment_id = ${id}::uuid AND completed_at IS NULL AND (locked_until IS NULL OR locked_until <= now())`;
      if (taken !== 1) continue;
      try {
        const payment = await this.db.payment.findUniqueOrThrow({ where: { id } });
        const charge = await this.provider.findCharge(chargeKey(id));
        await this.settle(payment, charge ?? { status: 'ABANDONED', message: 'The payment attempt was interrupted before the provider charged.' });
      } catch (error) {
        await this.db.idempotencyKey.updateMany({ where: { paymentId: id, completedAt: null }, data: { lockedUntil: null } }).catch(() => undefined);
        throw error;
      }
    }
  }

  /** Creates the PENDING payment for a payable order, or lets the key go and says why it cannot. */
  private async start(buyerId: string, request: PayOrderRequest): Promise<Payment> {
    await this.settleAbandoned(request.orderId);
    const result = await this.db.$transaction(async (tx): Promise<Payment | DomainError> => {
      const [order] = await tx.$queryRaw<{ status: string; amount: number; currency: string; expires_at: Date }[]>`
        SELECT status, amount, currency, expires_at FROM payable_orders WHERE id = ${request.orderId} FOR UPDATE`;
      if (!order) return notFound('There is no order awaiting payment with this id.', { orderId: request.orderId });
      if (order.status !== 'AWAITING_PAYMENT') return badUserInput(`The order cannot be paid: it is ${order.status.toLowerCase().replaceAll('_', ' ')}.`, { orderId: request.orderId });
      if (order.expires_at.getTime() <= Date.now()) return badUserInput('The order cannot be paid: its payment deadline has passed.', { orderId: request.orderId });
      if (await tx.payment.count({ where: { orderId: request.orderId, status: { in: CAPTURED } } })) {
        return badUserInput('The order is already paid.', { orderId: request.orderId });
      }
      const [running] = await tx.$queryRaw<{ id: string }[]>`
        SELECT p.id FROM payments p JOIN idempotency_keys k ON k.payment_id = p.id
        WHERE p.order_id = ${request.orderId} AND p.status = 'PENDING' AND k.locked_until > now()`;
      if (running) return conflict('Another payment of this order is in progress.', { orderId: request.orderId });
      const payment = await tx.payment.create({ data: { orderId: request.orderId, buyerId, amount: order.amount, currency: order.currency } });
      await tx.idempotencyKey.update({ where: { buyerId_key: { buyerId, key: request.idempotencyKey } }, data: { paymentId: payment.id } });
      return payment;
    });
    if (result instanceof Error) {
      // Nothing was started: the key is not spent.
      await this.db.idempotencyKey.deleteMany({ where: { buyerId, key: request.idempotencyKey, paymentId: null } });
      throw result;
    }
    return result;
  }

  /** Records the provider's answer, its event and the key's result in one transaction. */
  private async settle(pending: Payment, outcome: ProviderOutcome): Promise<Payment> {
    return this.db.$transaction(async (tx) => {
      const [current] = await tx.$queryRaw<{ status: string }[]>`SELECT status FROM payments WHERE id = ${pending.id}::uuid FOR UPDATE`;
      if (current?.status !== 'PENDING') return this.complete(await tx.payment.findUniqueOrThrow({ where: { id: pending.id } }), tx);
      const now = new Date();
      const amount = { amount: pending.amount, currency: pending.currency };
      let payment: Payment;
      if (outcome.status === 'SUCCEEDED') {
        await tx.paymentTransaction.createMany({
          data: [
            { paymentId: pending.id, kind: 'AUTHORIZATION', ...amount, providerReference: outcome.authorizationReference, createdAt: now },
            { paymentId: pending.id, kind: 'CAPTURE', ...amount, providerReference: outcome.captureReference, createdAt: new Date(now.getTime() + 1) },
          ],
        });
        payment = await tx.payment.update({ where: { id: pending.id }, data: { status: 'SUCCEEDED', chargeReference: outcome.chargeReference } });
        await this.outbox.add(tx, { definition: PaymentSucceeded, key: pending.orderId, data: { paymentId: pending.id, orderId: pending.orderId, amount, paidAt: now.toISOString() } });
      } else {
        // An abandoned attempt never reached the provider as far as it knows: closest is a timeout.
        const code = outcome.status === 'FAILED' ? outcome.code : 'PROVIDER_TIMEOUT';
        const reason = outcome.message;
        payment = await tx.payment.update({
          where: { id: pending.id },
          data: { status: 'FAILED', failureCode: code, failureReason: reason, chargeReference: outcome.status === 'FAILED' ? outcome.chargeReference : null },
        });
        await this.outbox.add(tx, { definition: PaymentFailed, key: pending.orderId, data: { paymentId: pending.id, orderId: pending.orderId, code, reason, failedAt: now.toISOString() } });
      }
      return this.complete(payment, tx);
    });
  }

  /** Stores the key's result; later requests with the key replay it. */
  private async complete(payment: Payment, tx: Prisma.TransactionClient | PrismaClient = this.db): Promise<Payment> {
    await tx.idempotencyKey.updateMany({
      where: { paymentId: payment.id },
      data: { completedAt: new Date(), lockedUntil: null, response: { paymentId: payment.id, status: payment.status } },
    });
    return payment;
  }

  /** A payment, for its buyer or an admin. */
  async byId(auth: AuthState, id: string): Promise<Payment | null> {
    const viewer = requireViewer(auth);
    if (!z.uuid().safeParse(id).success) return null;
    const payment = await this.db.payment.findUnique({ where: { id } });
    if (!payment) return null;
    if (payment.buyerId !== viewer.id && !hasRole(viewer, 'ADMIN')) throw forbidden('Only the payment\'s buyer or an admin can see it.');
    return payment;
  }

  /** Per order: its captured payment when there is one, else its latest attempt. */
  async shownForOrders(orderIds: readonly string[]): Promise<Map<string, Payment>> {
    const payments = await this.db.payment.findMany({ where: { orderId: { in: [...orderIds] } }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
    const shown = new Map<string, Payment>();
    for (const payment of payments) {
      const current = shown.get(payment.orderId);
      if (!current || (!CAPTURED.includes(current.status) && CAPTURED.includes(payment.status))) shown.set(payment.orderId, payment);
    }
    return shown;
  }

  async transactionsOf(paymentIds: readonly string[]) {
    return this.db.paymentTransaction.findMany({ where: { paymentId: { in: [...paymentIds] } }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  }
}
