import { randomUUID } from 'node:crypto';
import type { PrismaClient, ProviderCharge } from '../generated/prisma/client';
import type { LeanTransactions, RawSql } from '@bazaar/service';

export interface Money {
  amount: number;
  currency: string;
}

export type AuthorizationResult =
  | { status: 'AUTHORIZED'; authorizationReference: string; replayed: boolean }
  | { status: 'FAILED'; code: 'CARD_DECLINED' | 'INSUFFICIENT_FUNDS'; message: string; authorizationReference: string; replayed: boolean };

export interface OperationResult {
  reference: string;
  replayed: boolean;
}

/** The provider did not answer in time. Whether it acted is unknown until we ask it (findAuthorization). */
export class ProviderTimeoutError extends Error {
  constructor(message = 'The payment provider did not answer in time.') {
    super(message);
    this.name = 'ProviderTimeoutError';
  }
}

/** The provider refused an operation on an authorization in the state it is in (e.g. capture after void). */
export class ProviderStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProviderStateError';
  }
}

/**
 * A card processor, with the two-step flow card processors offer: an authorization holds the money
 * on the card, a capture takes it, a void lets it go, a refund gives captured money back. Every
 * call carries OUR idempotency key and the processor de-duplicates by it, so a call repeated with
 * the same key (after a timeout, a crash, a redelivered event) returns the first result and never
 * moves money twice.
 */
export interface PaymentProvider {
  /** Holds `amount` on the tokenised payment method. */
  authorize(request: { idempotencyKey: string; paymentMethodToken: string; amount: Money }): Promise<AuthorizationResult>;
  /** The authorization made under an idempotency key, if any: how a timeout's outcome is found out. */
  findAuthorization(idempotencyKey: string): Promise<AuthorizationResult | null>;
  /** Takes the held money. Refused (ProviderStateError) once the authorization was voided. */
  capture(request: { idempotencyKey: string; authorizationReference: string; amount: Money }): Promise<OperationResult>;
  /** Lets the held money go. Refused (ProviderStateError) once it was captured: refund that instead. */
  void(request: { idempotencyKey: string; authorizationReference: string }): Promise<OperationResult>;
  /** Gives back `amount` of a captured authorization. */
  refund(request: { idempotencyKey: string; authorizationReference: string; amount: Money }): Promise<OperationResult>;
}

/** Our idempotency keys at the provider: one per payment and operation. */
export const providerKeys = {
  authorize: (paymentId: string) => `payment_${paymentId}`,
  capture: (paymentId: string) => `capture_${paymentId}`,
  void: (paymentId: string) => `void_${paymentId}`,
};

/** The test-mode tokens, as a card processor's test mode documents them. */
export const TEST_TOKENS = {
  /** Succeeds. */
  visa: 'tok_visa',
  /** Declined by the card's issuer. */
  chargeDeclined: 'tok_chargeDeclined',
  /** Declined for insufficient funds. */
  insufficientFunds: 'tok_insufficientFunds',
  /** Never answers: the call fails with a timeout after the configured delay, and nothing is authorized. */
  timeout: 'tok_timeout',
  /** The authorization is made, but its answer is lost: a timeout, after which asking the provider finds it. */
  lostResponse: 'tok_lostResponse',
} as const;

/**
 * The test-mode provider. Its records (table `provider_charges`) stand in for the processor's side:
 * one row per operation and idempotency key, so a repeated key returns the recorded result. Unknown
 * tokens succeed, as `tok_visa`. Capture and void of one authorization are serialised (an advisory
 * lock), so exactly one of them wins.
 */
export class TestModeProvider implements PaymentProvider {
  constructor(
    private readonly db: PrismaClient,
    /** Authorize, capture and void, past Prisma: in test mode they run on every checkout's path. */
    private readonly lean: { sql: RawSql; transactions: LeanTransactions },
    private readonly options: { timeoutMs: number },
  ) {}

  async authorize({ idempotencyKey, paymentMethodToken, amount }: { idempotencyKey: string; paymentMethodToken: string; amount: Money }): Promise<AuthorizationResult> {
    const existing = await this.findAuthorization(idempotencyKey);
    if (existing) return existing;
    if (paymentMethodToken === TEST_TOKENS.timeout) return this.timeOut();
    const outcome =
      paymentMethodToken === TEST_TOKENS.chargeDeclined ? 'DECLINED' : paymentMethodToken === TEST_TOKENS.insufficientFunds ? 'INSUFFICIENT_FUNDS' : 'SUCCEEDED';
    // Two calls racing with one key: the unique key lets one record in, the other reads it back.
    const [inserted] = await this.lean.sql.$queryRaw<RecordedCharge[]>`
      INSERT INTO provider_charges (id, idempotency_key, kind, token, amount, currency, outcome)
      VALUES (${reference('au')}, ${idempotencyKey}, 'AUTHORIZATION', ${paymentMethodToken}, ${amount.amount}, ${amount.currency}, ${outcome})
      ON CONFLICT DO NOTHING
      RETURNING id, kind, outcome`;
    if (paymentMethodToken === TEST_TOKENS.lostResponse) return this.timeOut();
    const authorization = inserted ?? (await this.chargeByKey(idempotencyKey));
    if (!authorization) throw new Error(`No provider record under ${idempotencyKey}.`);
    return authorizationResult(authorization, !inserted);
  }

  async findAuthorization(idempotencyKey: string): Promise<AuthorizationResult | null> {
    const authorization = await this.chargeByKey(idempotencyKey);
    return authorization?.kind === 'AUTHORIZATION' ? authorizationResult(authorization, true) : null;
  }

  private async chargeByKey(idempotencyKey: string): Promise<RecordedCharge | undefined> {
    const [charge] = await this.lean.sql.$queryRaw<RecordedCharge[]>`SELECT id, kind, outcome FROM provider_charges WHERE idempotency_key = ${idempotencyKey}`;
    return charge;
  }

  capture({ idempotencyKey, authorizationReference, amount }: { idempotencyKey: string; authorizationReference: string; amount: Money }): Promise<OperationResult> {
    return this.onAuthorization(authorizationReference, 'CAPTURE', idempotencyKey, amount, 'VOID');
  }

  void({ idempotencyKey, authorizationReference }: { idempotencyKey: string; authorizationReference: string }): Promise<OperationResult> {
    return this.onAuthorization(authorizationReference, 'VOID', idempotencyKey, null, 'CAPTURE');
  }

  async refund({ idempotencyKey, authorizationReference, amount }: { idempotencyKey: string; authorizationReference: string; amount: Money }): Promise<OperationResult> {
    const inserted = await this.db.providerCharge.createMany({
      data: [{ id: reference('re'), idempotencyKey, kind: 'REFUND', chargeId: authorizationReference, amount: amount.amount, currency: amount.currency, outcome: 'SUCCEEDED' }],
      skipDuplicates: true,
    });
    const refund = await this.db.providerCharge.findUniqueOrThrow({ where: { idempotencyKey } });
    return { reference: refund.id, replayed: inserted.count === 0 };
  }

  /** Captures or voids an authorization, unless the other one already happened to it. */
  private async onAuthorization(authorizationReference: string, kind: 'CAPTURE' | 'VOID', idempotencyKey: string, amount: Money | null, excluded: 'CAPTURE' | 'VOID'): Promise<OperationResult> {
    return this.lean.transactions(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${authorizationReference}))`;
      // After the lock (its snapshot must see what the lock's last holder committed): this key's
      // record, the authorization and whether the other operation happened to it, in one look.
      const [state] = await tx.$queryRaw<{ existing: string | null; kind: string | null; outcome: string | null; amount: bigint | null; currency: string | null; excluded: boolean }[]>`
        SELECT (SELECT id FROM provider_charges WHERE idempotency_key = ${idempotencyKey}) AS existing,
               a.kind, a.outcome, a.amount, a.currency,
               EXISTS (SELECT 1 FROM provider_charges WHERE charge_id = ${authorizationReference} AND kind = ${excluded}) AS excluded
          FROM (SELECT 1) AS one LEFT JOIN provider_charges a ON a.id = ${authorizationReference}`;
      if (state?.existing) return { reference: state.existing, replayed: true };
      if (state?.kind !== 'AUTHORIZATION' || state.outcome !== 'SUCCEEDED') throw new ProviderStateError(`No successful authorization ${authorizationReference}.`);
      if (state.excluded) throw new ProviderStateError(`Authorization ${authorizationReference} was already ${excluded === 'VOID' ? 'voided' : 'captured'}.`);
      const id = reference(kind === 'CAPTURE' ? 'cp' : 'vo');
      await tx.$executeRaw`
        INSERT INTO provider_charges (id, idempotency_key, kind, charge_id, amount, currency, outcome)
        VALUES (${id}, ${idempotencyKey}, ${kind}, ${authorizationReference}, ${amount?.amount ?? state.amount}, ${state.currency}, 'SUCCEEDED')`;
      return { reference: id, replayed: false };
    });
  }

  private async timeOut(): Promise<never> {
    await new Promise((resolve) => setTimeout(resolve, this.options.timeoutMs));
    throw new ProviderTimeoutError();
  }
}

/** What the provider's answers are made of. */
type RecordedCharge = Pick<ProviderCharge, 'id' | 'kind' | 'outcome'>;

const reference = (prefix: string) => `${prefix}_${randomUUID().replaceAll('-', '')}`;

function authorizationResult(authorization: RecordedCharge, replayed: boolean): AuthorizationResult {
  const authorizationReference = authorization.id;
  if (authorization.outcome === 'SUCCEEDED') return { status: 'AUTHORIZED', authorizationReference, replayed };
  return authorization.outcome === 'INSUFFICIENT_FUNDS'
    ? { status: 'FAILED', code: 'INSUFFICIENT_FUNDS', message: 'Your card has insufficient funds.', authorizationReference, replayed }
    : { status: 'FAILED', code: 'CARD_DECLINED', message: 'Your card was declined.', authorizationReference, replayed };
}
