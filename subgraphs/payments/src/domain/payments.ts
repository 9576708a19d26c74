import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Outbox } from '@bazaar/events';
import { amountFromColumn, badUserInput, conflict, DomainError, forbidden, hasRole, notFound, parseInput, requireRole, requireViewer, RETRY_AFTER_SECONDS, type AuthState, type CommitWaits, type LeanReader, type LeanTransactions, type RawSql } from '@bazaar/service';
import type { Payment, PrismaClient } from '../generated/prisma/client';
import { providerKeys, ProviderTimeoutError, type PaymentProvider } from './provider';
import { completeKey, HOLDING_MONEY, PAYMENT_COLUMNS, readPayment, recordAuthorization, type AuthorizationOutcome } from './settlement';

/** Hooks for tests only; production code never passes them. */
export interface PaymentHooks {
  /** Runs right after the provider answered, before the result is committed (throw to simulate a crash). */
  afterProviderCall?: () => void | Promise<void>;
}

export interface PaymentsSettings {
  /** How long a request holds its idempotency key; never shorter than the provider's timeout (config checks it). */
  leaseMs: number;
  /** How long payOrder waits for an order payments has not heard of yet (OrderAwaitingPayment on its way). */
  orderWaitMs: number;
  /** How long payOrder waits for orders to accept an authorised payment (then it answers AUTHORIZED). */
  outcomeWaitMs: number;
  hooks?: PaymentHooks;
}

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);
const payOrderInput = z.object({ orderId: text(100), paymentMethodToken: text(200), idempotencyKey: text(255) });
type PayOrderRequest = z.infer<typeof payOrderInput>;

const CAPTURED = ['SUCCEEDED', 'REFUNDED', 'PARTIALLY_REFUNDED'];

/**
 * Payments learns of an order only through OrderAwaitingPayment, so an order it has not heard of
 * within PAYMENTS_ORDER_WAIT_MS may still be on its way (events held up by load or a restart):
 * payments cannot tell that from an order that does not exist, and never answers NOT_FOUND for
 * something that may succeed on retry. The buyer's own order (from orders) says whether it exists.
 */
const orderNotKnownYet = (orderId: string) =>
  new DomainError('SERVICE_UNAVAILABLE', `Payments has not heard of this order yet; if orders shows it AWAITING_PAYMENT, retry in ${RETRY_AFTER_SECONDS} s.`, {
    orderId,
    reason: 'ORDER_NOT_KNOWN_YET',
    retryable: true,
    retryAfterSeconds: RETRY_AFTER_SECONDS,
  });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * payOrder: authorise, let orders accept, capture (docs/checkout.md, "Paying").
 *  1. The client's key (scoped to the buyer) is inserted first, in its own transaction, under a
 *     unique primary key, with the hash of the normalised request and a lease. Concurrent requests
 *     with the key wait for the lease holder, then replay its stored result; another request with
 *     the key is a CONFLICT.
 *  2. The payment is created PENDING and committed.
 *  3. The provider authorises (holds) the amount under our key for the payment. A timeout is
 *     resolved by asking the provider what it did under that key.
 *  4. One transaction records the authorization, PaymentAuthorized (outbox) and the key's result.
 *  5. Orders accepts the payment only for an order still awaiting it (under the order's lock), and
 *     payments captures on that answer (OrderPaid), or voids on OrderPaymentRejected. payOrder waits
 *     a little for that, so the buyer usually sees SUCCEEDED or FAILED.
 * A crash between 3 and 4 leaves the payment PENDING; the retry with the same key, a new attempt
 * for the order, or the reconciler asks the provider and records what it did.
 */
export class Payments {
  constructor(
    private readonly db: PrismaClient,
    private readonly reader: LeanReader,
    /** payOrder's statements and transactions, past Prisma (they are on every checkout's path). */
    private readonly lean: { sql: RawSql; transactions: LeanTransactions },
    private readonly provider: PaymentProvider,
    private readonly outbox: Outbox,
    private readonly outcomes: CommitWaits,
    private readonly settings: PaymentsSettings,
  ) {}

  async pay(auth: AuthState, input: unknown): Promise<Payment> {
    const viewer = requireRole(auth, 'BUYER');
    const request = parseInput(payOrderInput, input);
    const order = await this.payableOrder(request.orderId);
    if (!order) throw orderNotKnownYet(request.orderId);
    if (order.buyerId !== viewer.id) throw forbidden('Only the order\'s buyer can pay it.');

    const requestHash = createHash('sha256').update(JSON.stringify([request.orderId, request.paymentMethodToken])).digest('hex');
    const waitUntil = Date.now() + this.settings.leaseMs * 2;
    for (;;) {
      const claim = await this.claim(viewer.id, request.idempotencyKey, requestHash);
      if (claim.kind === 'run') return this.awaitOutcome(await this.run(viewer.id, request, claim.paymentId));
      if (claim.kind === 'done') return this.awaitOutcome(await this.db.payment.findUniqueOrThrow({ where: { id: claim.paymentId } }));
      if (Date.now() > waitUntil) throw conflict('A request with this idempotency key is still running; retry later.');
      await sleep(25);
    }
  }

  /**
   * The order as payments knows it. Orders shows AWAITING_PAYMENT a moment before payments hears
   * of it (OrderAwaitingPayment travels as an event), so an unknown order is waited for a while.
   * The looks go through the lean reader (named statements, past Prisma's interpreter): a buyer
   * who pays the moment the order shows may look several times.
   */
  private async payableOrder(orderId: string): Promise<{ buyerId: string } | undefined> {
    const deadline = Date.now() + this.settings.orderWaitMs;
    for (let pause = 20; ; pause = Math.min(pause * 2, 250)) {
      const [order] = await this.reader.rows<{ buyerId: string }>({
        name: 'payments_payable_order_buyer',
        text: 'SELECT buyer_id AS "buyerId" FROM payable_orders WHERE id = $1',
        values: [orderId],
      });
      if (order || Date.now() >= deadline) return order;
      await sleep(pause);
    }
  }

  /**
   * Waits (bounded) while orders decides on an authorised payment; the buyer sees the result. The
   * capture or void in this process wakes the wait (CommitWaits); looks at the status alone (lean,
   * as above) every 100–200 ms find a move made by another replica. The payment is read once it moved.
   */
  private async awaitOutcome(payment: Payment): Promise<Payment> {
    if (payment.status !== 'AUTHORIZED') return payment;
    await this.outcomes.until<string | undefined>(payment.id, {
      waitMs: this.settings.outcomeWaitMs,
      seen: { value: payment.status },
      look: async () => {
        const [current] = await this.reader.rows<{ status: string }>({
          name: 'payments_payment_status',
          text: 'SELECT status FROM payments WHERE id = $1::uuid',
          values: [payment.id],
        });
        return current?.status;
      },
      settled: (status) => status !== 'AUTHORIZED',
    });
    return readPayment(this.lean.sql, payment.id);
  }

  /** Takes the key (new, or left behind by a request that died), or says it is done or busy. */
  private async claim(buyerId: string, key: string, requestHash: string): Promise<{ kind: 'run'; paymentId: string | null } | { kind: 'done'; paymentId: string } | { kind: 'busy' }> {
    const seconds = this.settings.leaseMs / 1000;
    const inserted = await this.lean.sql.$executeRaw`
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
      if (payment.status !== 'PENDING') return await completeKey(this.lean.sql, payment);
      const outcome = await this.authorize(payment, request.paymentMethodToken);
      await this.settings.hooks?.afterProviderCall?.();
      return await recordAuthorization(this.lean.transactions, this.outbox, payment, outcome);
    } catch (error) {
      // Let a retry run at once (a process that died cannot; its lease runs out instead).
      await this.db.idempotencyKey.updateMany({ where: { buyerId, key, completedAt: null }, data: { lockedUntil: null } }).catch(() => undefined);
      throw error;
    }
  }

  /** Asks the provider to hold the amount; a timeout is resolved by asking it what it did under our key. */
  private async authorize(payment: Payment, paymentMethodToken: string): Promise<AuthorizationOutcome> {
    const idempotencyKey = providerKeys.authorize(payment.id);
    try {
      return await this.provider.authorize({ idempotencyKey, paymentMethodToken, amount: { amount: amountFromColumn(payment.amount), currency: payment.currency } });
    } catch (error) {
      if (!(error instanceof ProviderTimeoutError)) throw error;
      return (await this.provider.findAuthorization(idempotencyKey)) ?? { status: 'TIMEOUT', message: error.message };
    }
  }

  /**
   * Settles the order's attempts whose request died (PENDING, key no longer leased) from the
   * provider's records (see Payments.resolveAbandoned), so a new attempt never runs beside money
   * already held for the order.
   */
  private async settleAbandoned(orderId: string): Promise<void> {
    const abandoned = await this.lean.sql.$queryRaw<{ id: string }[]>`
      SELECT p.id FROM payments p LEFT JOIN idempotency_keys k ON k.payment_id = p.id
      WHERE p.order_id = ${orderId} AND p.status = 'PENDING' AND (k.locked_until IS NULL OR k.locked_until <= now())`;
    for (const { id } of abandoned) await this.resolveAbandoned(id);
  }

  /**
   * An attempt whose request died: what the provider did under its key is recorded (an
   * authorization goes to orders for acceptance like any other); an attempt it never authorised is
   * closed as FAILED, so a late retry of its key cannot authorise later. Takes the key's lease first,
   * so a retry of that key waits for this instead of racing it. Used by new attempts and the reconciler.
   */
  async resolveAbandoned(paymentId: string): Promise<boolean> {
    const seconds = this.settings.leaseMs / 1000;
    const taken = await this.db.$executeRaw`
      UPDATE idempotency_keys SET locked_until = now() + make_interval(secs => ${seconds}::float8)
      WHERE payment_id = ${paymentId}::uuid AND completed_at IS NULL AND (locked_until IS NULL OR locked_until <= now())`;
    const keyless = taken === 0 && (await this.db.idempotencyKey.count({ where: { paymentId } })) === 0;
    if (taken !== 1 && !keyless) return false;
    try {
      const payment = await this.db.payment.findUniqueOrThrow({ where: { id: paymentId } });
      if (payment.status !== 'PENDING') return false;
      const authorization = await this.provider.findAuthorization(providerKeys.authorize(paymentId));
      await recordAuthorization(this.lean.transactions, this.outbox, payment, authorization ?? { status: 'ABANDONED', message: 'The payment attempt was interrupted before the provider authorised it.' });
      return true;
    } catch (error) {
      await this.db.idempotencyKey.updateMany({ where: { paymentId, completedAt: null }, data: { lockedUntil: null } }).catch(() => undefined);
      throw error;
    }
  }

  /** Creates the PENDING payment for a payable order, or lets the key go and says why it cannot. */
  private async start(buyerId: string, request: PayOrderRequest): Promise<Payment> {
    await this.settleAbandoned(request.orderId);
    const result = await this.lean.transactions(async (tx): Promise<Payment | DomainError> => {
      const [order] = await tx.$queryRaw<{ status: string; amount: bigint; currency: string; expires_at: Date }[]>`
        SELECT status, amount, currency, expires_at FROM payable_orders WHERE id = ${request.orderId} FOR UPDATE`;
      if (!order) return notFound('There is no order awaiting payment with this id.', { orderId: request.orderId });
      if (order.status !== 'AWAITING_PAYMENT') return badUserInput(`The order cannot be paid: it is ${order.status.toLowerCase().replaceAll('_', ' ')}.`, { orderId: request.orderId });
      if (order.expires_at.getTime() <= Date.now()) return badUserInput('The order cannot be paid: its payment deadline has passed.', { orderId: request.orderId });
      // The order's other attempts, captured or still running, in one look.
      const [others] = await tx.$queryRaw<{ captured: boolean; running: boolean }[]>`
        SELECT coalesce(bool_or(p.status = ANY(${CAPTURED})), false) AS captured,
               coalesce(bool_or(p.status = ANY(${HOLDING_MONEY}) OR (p.status = 'PENDING' AND k.locked_until > now())), false) AS running
          FROM payments p LEFT JOIN idempotency_keys k ON k.payment_id = p.id
         WHERE p.order_id = ${request.orderId}`;
      if (others?.captured) return badUserInput('The order is already paid.', { orderId: request.orderId });
      if (others?.running) return conflict('Another payment of this order is in progress.', { orderId: request.orderId });
      // The payment and its key's link to it in one statement.
      const [payment] = await tx.$queryRaw<Payment[]>`
        WITH created AS (
          INSERT INTO payments (id, order_id, buyer_id, amount, currency, created_at, updated_at)
          VALUES (uuidv7(), ${request.orderId}, ${buyerId}, ${order.amount}, ${order.currency}, now(), now())
          RETURNING ${PAYMENT_COLUMNS}),
        linked AS (
          UPDATE idempotency_keys SET payment_id = (SELECT id FROM created) WHERE buyer_id = ${buyerId} AND key = ${request.idempotencyKey})
        SELECT * FROM created`;
      return payment!;
    });
    if (result instanceof Error) {
      // Nothing was started: the key is not spent.
      await this.db.idempotencyKey.deleteMany({ where: { buyerId, key: request.idempotencyKey, paymentId: null } });
      throw result;
    }
    return result;
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
