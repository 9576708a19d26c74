import { randomBytes } from 'node:crypto';
import type { Outbox } from '@bazaar/events';
import { PayoutSent } from '@bazaar/contracts/payments';
import { amountFromColumn } from '@bazaar/service';
import type { Payout, PrismaClient } from '../generated/prisma/client';
import type { SellerEarnings } from './earnings';

export interface PayoutRunReport {
  /** Earnings whose holding period had ended, made available first. */
  released: number;
  /** The payouts this run made (one per seller and currency with money available). */
  payouts: Payout[];
}

/** A payout's reference, e.g. `PO-20261201-3F9A2C7B1E04`: the date and 48 random bits, unique in the database. */
const payoutReference = (at: Date) => `PO-${at.toISOString().slice(0, 10).replaceAll('-', '')}-${randomBytes(6).toString('hex').toUpperCase()}`;

/**
 * The payout run (command and admin mutation): releases what is due, then moves each seller's
 * positive AVAILABLE balance, per currency, to a Payout and PAID_OUT in one transaction with
 * PayoutSent. Each account is locked while it is paid and re-read under the lock, so a second or
 * concurrent run finds nothing left to pay: running twice pays once. A negative available balance
 * (a refund after the money became available) is never paid; later earnings make it up first.
 */
export class Payouts {
  constructor(
    private readonly db: PrismaClient,
    private readonly earnings: SellerEarnings,
    private readonly outbox: Outbox,
  ) {}

  /** `asOf` (default now) is when the run happens: the demo data books a past run with it. */
  async run(options: { asOf?: Date } = {}): Promise<PayoutRunReport> {
    const released = await this.earnings.releaseDue(options.asOf);
    const candidates = await this.db.ledgerAccount.findMany({ where: { kind: 'AVAILABLE', balance: { gt: 0 } }, select: { id: true }, orderBy: { id: 'asc' } });
    const payouts: Payout[] = [];
    for (const { id } of candidates) {
      const payout = await this.payOne(id, options.asOf ?? new Date());
      if (payout) payouts.push(payout);
    }
    return { released, payouts };
  }

  private payOne(accountId: string, at: Date): Promise<Payout | null> {
    return this.db.$transaction(async (tx) => {
      const [account] = await tx.$queryRaw<{ owner_id: string; currency: string; balance: bigint }[]>`
        SELECT owner_id, currency, balance FROM ledger_accounts WHERE id = ${accountId}::uuid FOR UPDATE`;
      if (!account || account.balance <= 0n) return null;
      const payout = await tx.payout.create({ data: { sellerId: account.owner_id, amount: account.balance, currency: account.currency, reference: payoutReference(at), createdAt: at } });
      const side = { ownerId: account.owner_id, currency: account.currency, sellerId: account.owner_id, payoutId: payout.id };
      await this.earnings.ledger.post(tx, {
        kind: 'PAYOUT',
        description: `Payout ${payout.reference}`,
        at,
        postings: [
          { ...side, kind: 'AVAILABLE', amount: -account.balance },
          { ...side, kind: 'PAID_OUT', amount: account.balance },
        ],
      });
      await this.outbox.add(tx, {
        definition: PayoutSent,
        key: account.owner_id,
        data: { payoutId: payout.id, sellerId: account.owner_id, amount: { amount: amountFromColumn(account.balance), currency: account.currency }, reference: payout.reference, paidAt: at.toISOString() },
      });
      return payout;
    });
  }
}
