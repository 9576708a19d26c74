import { randomUUID } from 'node:crypto';
import type { PrismaClient, ProviderCharge } from '../generated/prisma/client';

export interface Money {
  amount: number;
  currency: string;
}

export type ChargeResult =
  | { status: 'SUCCEEDED'; chargeReference: string; authorizationReference: string; captureReference: string; replayed: boolean }
  | { status: 'FAILED'; code: 'CARD_DECLINED' | 'INSUFFICIENT_FUNDS'; message: string; chargeReference: string; replayed: boolean };

export interface RefundResult {
  refundReference: string;
  replayed: boolean;
}

/** The provider did not answer in time. Whether it charged is unknown to the caller. */
export class ProviderTimeoutError extends Error {
  constructor(message = 'The payment provider did not answer in time.') {
    super(message);
    this.name = 'ProviderTimeoutError';
  }
}

/**
 * A card processor. Every call carries OUR idempotency key; the processor de-duplicates by it, so
 * a call repeated with the same key (after a timeout, a crash, a redelivered event) returns the
 * first result and never moves money twice.
 */
export interface PaymentProvider {
  /** Authorizes and captures `amount` on the tokenised payment method. */
  charge(request: { idempotencyKey: string; paymentMethodToken: string; amount: Money }): Promise<ChargeResult>;
  /** The charge made under an idempotency key, if any (to settle an attempt whose request died). */
  findCharge(idempotencyKey: string): Promise<ChargeResult | null>;
  /** Gives back `amount` of a captured charge. */
  refund(request: { idempotencyKey: string; chargeReference: string; amount: Money }): Promise<RefundResult>;
}

/** The test-mode tokens, as a card processor's test mode documents them. */
export const TEST_TOKENS = {
  /** Succeeds. */
  visa: 'tok_visa',
  /** Declined by the card's issuer. */
  chargeDeclined: 'tok_chargeDeclined',
  /** Declined for insufficient funds. */
  insufficientFunds: 'tok_insufficientFunds',
  /** Never answers: the call fails with a timeout after the configured delay, and no charge is made. */
  timeout: 'tok_timeout',
} as const;

/**
 * The test-mode provider. Its records (table `provider_charges`) stand in for the processor's side:
 * a charge or refund per idempotency key, so a repeated key returns the recorded result. Unknown
 * tokens succeed, as `tok_visa`.
 */
export class TestModeProvider implements PaymentProvider {
  constructor(
    private readonly db: PrismaClient,
    private readonly options: { timeoutMs: number },
  ) {}

  async charge({ idempotencyKey, paymentMethodToken, amount }: { idempotencyKey: string; paymentMethodToken: string; amount: Money }): Promise<ChargeResult> {
    const existing = await this.db.providerCharge.findUnique({ where: { idempotencyKey } });
    if (existing) return chargeResult(existing, true);
    if (paymentMethodToken === TEST_TOKENS.timeout) {
      await new Promise((resolve) => setTimeout(resolve, this.options.timeoutMs));
      throw new ProviderTimeoutError();
    }
    const outcome =
      paymentMethodToken === TEST_TOKENS.chargeDeclined ? 'DECLINED' : paymentMethodToken === TEST_TOKENS.insufficientFunds ? 'INSUFFICIENT_FUNDS' : 'SUCCEEDED';
    const id = `ch_${randomUUID().replaceAll('-', '')}`;
    // Two calls racing with one key: the unique key lets one record in, the other reads it back.
    const inserted = await this.db.providerCharge.createMany({
      data: [{ id, idempotencyKey, kind: 'CHARGE', token: paymentMethodToken, amount: amount.amount, currency: amount.currency, outcome }],
      skipDuplicates: true,
    });
    const charge = await this.db.providerCharge.findUniqueOrThrow({ where: { idempotencyKey } });
    return chargeResult(charge, inserted.count === 0);
  }

  async findCharge(idempotencyKey: string): Promise<ChargeResult | null> {
    const charge = await this.db.providerCharge.findUnique({ where: { idempotencyKey } });
    return charge?.kind === 'CHARGE' ? chargeResult(charge, true) : null;
  }

  async refund({ idempotencyKey, chargeReference, amount }: { idempotencyKey: string; chargeReference: string; amount: Money }): Promise<RefundResult> {
    const id = `re_${randomUUID().replaceAll('-', '')}`;
    const inserted = await this.db.providerCharge.createMany({
      data: [{ id, idempotencyKey, kind: 'REFUND', chargeId: chargeReference, amount: amount.amount, currency: amount.currency, outcome: 'SUCCEEDED' }],
      skipDuplicates: true,
    });
    const refund = await this.db.providerCharge.findUniqueOrThrow({ where: { idempotencyKey } });
    return { refundReference: refund.id, replayed: inserted.count === 0 };
  }

  /** Successful charges the processor made (tests: "one charge at the provider"). */
  chargeCount(filter: { idempotencyKey?: string } = {}): Promise<number> {
    return this.db.providerCharge.count({ where: { kind: 'CHARGE', outcome: 'SUCCEEDED', ...filter } });
  }
}

function chargeResult(charge: ProviderCharge, replayed: boolean): ChargeResult {
  if (charge.outcome === 'SUCCEEDED') {
    return { status: 'SUCCEEDED', chargeReference: charge.id, authorizationReference: `${charge.id}_auth`, captureReference: `${charge.id}_capt`, replayed };
  }
  return charge.outcome === 'INSUFFICIENT_FUNDS'
    ? { status: 'FAILED', code: 'INSUFFICIENT_FUNDS', message: 'Your card has insufficient funds.', chargeReference: charge.id, replayed }
    : { status: 'FAILED', code: 'CARD_DECLINED', message: 'Your card was declined.', chargeReference: charge.id, replayed };
}
