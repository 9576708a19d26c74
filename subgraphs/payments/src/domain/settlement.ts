import { amountFromColumn, type CommitWaits, type LeanTransactions, type RawSql } from '@bazaar/service';
import { type Outbox } from '@bazaar/events';
import { PaymentAuthorized, PaymentFailed, PaymentRefunded, PaymentSucceeded } from '@bazaar/contracts/payments';
import { Prisma, type Payment } from '../generated/prisma/client';
import { providerKeys, ProviderStateError, type AuthorizationResult, type PaymentProvider } from './provider';

type Tx = RawSql;

/** Statuses in which the provider holds the buyer's money for a payment (authorised or captured). */
export const HOLDING_MONEY = ['AUTHORIZED', 'SUCCEEDED', 'PARTIALLY_REFUNDED'];

/** What became of an authorization request: the provider's answer, or none at all. */
export type AuthorizationOutcome = AuthorizationResult | { status: 'TIMEOUT' | 'ABANDONED'; message: string };

/** The key the provider de-duplicates a refund by: what caused it and the payment. */
const refundKey = (cause: string, paymentId: string) => `refund_${cause}_${paymentId}`;

/** Stores the key's result; later requests with the key replay it. */
export async function completeKey(sql: RawSql, payment: Payment): Promise<Payment> {
  await sql.$executeRaw`
    UPDATE idempotency_keys SET completed_at = now(), locked_until = NULL,
           response = jsonb_build_object('paymentId', ${payment.id}::text, 'status', ${payment.status}::text)
     WHERE payment_id = ${payment.id}::uuid`;
  return payment;
}

/**
 * Records the provider's answer to an authorization, its event and the key's result in one
 * transaction. AUTHORIZED publishes PaymentAuthorized for orders to accept or reject; anything
 * else is FAILED (nothing is held) with PaymentFailed.
 */
export async function recordAuthorization(transactions: LeanTransactions, outbox: Outbox, pending: Payment, outcome: AuthorizationOutcome): Promise<Payment> {
  return transactions(async (tx) => {
    const current = await lockPayment(tx, pending.id);
    if (current?.status !== 'PENDING') return completeKey(tx, current ?? (await readPayment(tx, pending.id)));
    if (outcome.status !== 'AUTHORIZED') {
      // An abandoned attempt never reached the provider as far as it knows: closest is a timeout.
      const code = outcome.status === 'FAILED' ? outcome.code : 'PROVIDER_TIMEOUT';
      return completeKey(tx, await fail(tx, outbox, pending, code, outcome.message, outcome.status === 'FAILED' ? outcome.authorizationReference : null));
    }
    const now = new Date();
    const amount = { amount: amountFromColumn(pending.amount), currency: pending.currency };
    // The authorization's record, the payment's new status and the key's result in one statement.
    const [authorized] = await tx.$queryRaw<Payment[]>`
      WITH recorded AS (
        INSERT INTO payment_transactions (id, payment_id, kind, amount, currency, provider_reference, created_at)
        VALUES (uuidv7(), ${pending.id}::uuid, 'AUTHORIZATION', ${amount.amount}, ${amount.currency}, ${outcome.authorizationReference}, ${now})),
      completed AS (
        UPDATE idempotency_keys SET completed_at = ${now}, locked_until = NULL,
               response = jsonb_build_object('paymentId', ${pending.id}::text, 'status', 'AUTHORIZED')
         WHERE payment_id = ${pending.id}::uuid)
      UPDATE payments SET status = 'AUTHORIZED', charge_reference = ${outcome.authorizationReference}, updated_at = now()
       WHERE id = ${pending.id}::uuid
      RETURNING ${PAYMENT_COLUMNS}`;
    await outbox.add(tx, { definition: PaymentAuthorized, key: pending.orderId, data: { paymentId: pending.id, orderId: pending.orderId, amount, authorizedAt: now.toISOString() } });
    return authorized!;
  });
}

async function fail(tx: Tx, outbox: Outbox, payment: Payment, code: 'CARD_DECLINED' | 'INSUFFICIENT_FUNDS' | 'PROVIDER_TIMEOUT' | 'ORDER_NOT_PAYABLE', reason: string, chargeReference: string | null) {
  const [failed] = await tx.$queryRaw<Payment[]>`
    UPDATE payments SET status = 'FAILED', failure_code = ${code}, failure_reason = ${reason}, charge_reference = ${chargeReference}, updated_at = now()
     WHERE id = ${payment.id}::uuid
    RETURNING ${PAYMENT_COLUMNS}`;
  await outbox.add(tx, { definition: PaymentFailed, key: payment.orderId, data: { paymentId: payment.id, orderId: payment.orderId, code, reason, failedAt: new Date().toISOString() } });
  return failed!;
}

/** A payments row as Prisma's model names its fields. */
export const PAYMENT_COLUMNS = Prisma.raw(`id, order_id AS "orderId", buyer_id AS "buyerId", amount, currency, status, refunded_amount AS "refundedAmount",
  failure_code AS "failureCode", failure_reason AS "failureReason", charge_reference AS "chargeReference", created_at AS "createdAt", updated_at AS "updatedAt"`);

/** A payment as it is now in the transaction. */
export async function readPayment(tx: Tx, paymentId: string): Promise<Payment> {
  const [payment] = await tx.$queryRaw<Payment[]>`SELECT ${PAYMENT_COLUMNS} FROM payments WHERE id = ${paymentId}::uuid`;
  if (!payment) throw new Error(`payment ${paymentId} not found`);
  return payment;
}

/** Locks a payment's row for the rest of the transaction and reads it, in one statement. */
export async function lockPayment(tx: Tx, paymentId: string): Promise<Payment | null> {
  const [locked] = await tx.$queryRaw<Payment[]>`SELECT ${PAYMENT_COLUMNS} FROM payments WHERE id = ${paymentId}::uuid FOR UPDATE`;
  return locked ?? null;
}

/** Money movements after the authorization, each recorded with its event in the caller's transaction. */
export class Settlement {
  constructor(
    private readonly provider: PaymentProvider,
    private readonly outbox: Outbox,
    private readonly outcomes: CommitWaits,
  ) {}

  /** Orders accepted the payment: take the held money. */
  async capture(tx: Tx, payment: Payment): Promise<void> {
    if (payment.status !== 'AUTHORIZED' || !payment.chargeReference) return;
    const amount = { amount: amountFromColumn(payment.amount), currency: payment.currency };
    const capture = await this.provider.capture({ idempotencyKey: providerKeys.capture(payment.id), authorizationReference: payment.chargeReference, amount });
    const now = new Date();
    // The capture's record and the payment's new status in one statement.
    await tx.$executeRaw`
      WITH captured AS (
        INSERT INTO payment_transactions (id, payment_id, kind, amount, currency, provider_reference, created_at)
        VALUES (uuidv7(), ${payment.id}::uuid, 'CAPTURE', ${amount.amount}, ${amount.currency}, ${capture.reference}, ${now}))
      UPDATE payments SET status = 'SUCCEEDED', updated_at = now() WHERE id = ${payment.id}::uuid`;
    this.outcomes.moved(payment.id);
    await this.outbox.add(tx, { definition: PaymentSucceeded, key: payment.orderId, data: { paymentId: payment.id, orderId: payment.orderId, amount, paidAt: now.toISOString() } });
  }

  /**
   * The order cannot take this payment: an authorization is voided (FAILED, ORDER_NOT_PAYABLE);
   * money already captured is refunded. Returns what it did.
   */
  async release(tx: Tx, payment: Payment, cause: string, reason: string): Promise<'voided' | 'refunded' | 'nothing'> {
    if (payment.status === 'AUTHORIZED' && payment.chargeReference) {
      try {
        const voided = await this.provider.void({ idempotencyKey: providerKeys.void(payment.id), authorizationReference: payment.chargeReference });
        await tx.$executeRaw`
          INSERT INTO payment_transactions (id, payment_id, kind, amount, currency, provider_reference)
          VALUES (uuidv7(), ${payment.id}::uuid, 'VOID', ${payment.amount}, ${payment.currency}, ${voided.reference})`;
        await fail(tx, this.outbox, payment, 'ORDER_NOT_PAYABLE', reason, payment.chargeReference);
        this.outcomes.moved(payment.id);
        return 'voided';
      } catch (error) {
        // A capture reached the provider but its record was rolled back: record it, then give it back.
        if (!(error instanceof ProviderStateError)) throw error;
        await this.capture(tx, payment);
        payment = await readPayment(tx, payment.id);
      }
    }
    if (['SUCCEEDED', 'PARTIALLY_REFUNDED'].includes(payment.status) && payment.chargeReference) {
      await this.refund(tx, payment, cause, reason);
      return 'refunded';
    }
    return 'nothing';
  }

  /** Gives back what is left of a captured payment, and publishes PaymentRefunded. */
  async refund(tx: Tx, payment: Payment, cause: string, reason: string): Promise<void> {
    const amount = { amount: amountFromColumn(payment.amount - payment.refundedAmount), currency: payment.currency };
    const refund = await this.provider.refund({ idempotencyKey: refundKey(cause, payment.id), authorizationReference: payment.chargeReference!, amount });
    const now = new Date();
    // The refund's record and the payment's new status in one statement.
    await tx.$executeRaw`
      WITH refunded AS (
        INSERT INTO payment_transactions (id, payment_id, kind, amount, currency, provider_reference, created_at)
        VALUES (uuidv7(), ${payment.id}::uuid, 'REFUND', ${amount.amount}, ${amount.currency}, ${refund.reference}, ${now}))
      UPDATE payments SET status = 'REFUNDED', refunded_amount = ${payment.amount}, updated_at = now() WHERE id = ${payment.id}::uuid`;
    await this.outbox.add(tx, {
      definition: PaymentRefunded,
      key: payment.orderId,
      data: { paymentId: payment.id, orderId: payment.orderId, refundId: refund.reference, amount, full: true, reason, refundedAt: now.toISOString() },
    });
  }
}
