import type { RawSql } from '@bazaar/service';
import type { PrismaClient, SellerEarning } from '../generated/prisma/client';
import { commissionOf, Ledger, MARKETPLACE, type Posting, type SellerAccountKind } from './ledger';

type Tx = RawSql;

/** A line of OrderPaid / OrderDelivered as the earnings need it (seller and price may be missing in older events). */
export interface PaidLine {
  quantity: number;
  sellerId?: string | undefined;
  unitPrice?: { amount: number; currency: string } | undefined;
}

export interface EarningsSettings {
  /** Commission in basis points of each seller's part of an order. */
  commissionBps: number;
  /** How long earnings stay pending after delivery. */
  holdMs: number;
}

/** How many earnings one release round takes at most (the next round takes the rest). */
const RELEASE_BATCH = 200;

/**
 * What sellers earn from orders, in the ledger (docs/payouts.md):
 * - paid: each seller's part (their lines' total) is credited to their PENDING account minus the
 *   commission, which goes to the marketplace; the whole part is booked against BUYER_FUNDS;
 * - delivered, plus the holding period: PENDING → AVAILABLE;
 * - refunded after payment: exactly what was credited is taken back, from where it is now.
 * One SellerEarning row per order, seller and currency remembers what was credited and where it
 * stands; its primary key makes a second credit for the same order impossible.
 */
export class SellerEarnings {
  /** The ledger of this service's database (payouts post to it too). */
  readonly ledger = new Ledger();

  constructor(
    private readonly db: PrismaClient,
    private readonly settings: EarningsSettings,
  ) {}

  /** OrderPaid: credits each seller's part of the order. Lines without a seller or price (older events) earn nothing. */
  async credit(tx: Tx, order: { orderId: string; paidAt: Date; lines: readonly PaidLine[] }): Promise<SellerEarning[]> {
    const parts = new Map<string, { sellerId: string; currency: string; gross: bigint }>();
    for (const { sellerId, unitPrice, quantity } of order.lines) {
      if (!sellerId || !unitPrice) continue;
      const key = `${sellerId} ${unitPrice.currency}`;
      const part = parts.get(key) ?? { sellerId, currency: unitPrice.currency, gross: 0n };
      part.gross += BigInt(unitPrice.amount) * BigInt(quantity);
      parts.set(key, part);
    }
    const credited: SellerEarning[] = [];
    for (const { sellerId, currency, gross } of parts.values()) {
      const commission = commissionOf(gross, this.settings.commissionBps);
      const [earning] = await tx.$queryRaw<SellerEarning[]>`
        INSERT INTO seller_earnings (order_id, seller_id, currency, gross, commission, net, status, paid_at, updated_at)
        VALUES (${order.orderId}, ${sellerId}, ${currency}, ${gross}, ${commission}, ${gross - commission}, 'PENDING', ${order.paidAt}, now())
        ON CONFLICT DO NOTHING
        RETURNING order_id AS "orderId", seller_id AS "sellerId", currency, gross, commission, net, status, paid_at AS "paidAt", delivered_at AS "deliveredAt", updated_at AS "updatedAt"`;
      if (earning) credited.push(earning);
    }
    if (credited.length > 0) {
      await this.ledger.post(tx, {
        kind: 'SALE',
        description: `Order ${order.orderId} paid`,
        at: order.paidAt,
        postings: credited.flatMap((earning) => [
          sellerPosting(earning, 'PENDING', earning.net),
          marketplacePosting(earning, 'COMMISSION', earning.commission),
          marketplacePosting(earning, 'BUYER_FUNDS', -earning.gross),
        ]),
      });
    }
    return credited;
  }

  /** OrderDelivered: the holding period of the order's earnings starts (they are released once it ends). */
  async delivered(tx: Tx, orderId: string, deliveredAt: Date): Promise<void> {
    await tx.$executeRaw`
      UPDATE seller_earnings SET delivered_at = ${deliveredAt}, updated_at = now()
      WHERE order_id = ${orderId} AND status = 'PENDING' AND delivered_at IS NULL`;
  }

  /** OrderCancelled after payment: takes back exactly what each seller was credited for the order, from where it is now. */
  async reverse(tx: Tx, orderId: string, reason: string, at: Date = new Date()): Promise<number> {
    const earnings = await tx.$queryRaw<SellerEarning[]>`
      SELECT order_id AS "orderId", seller_id AS "sellerId", currency, gross, commission, net, status
      FROM seller_earnings WHERE order_id = ${orderId} AND status IN ('PENDING', 'AVAILABLE')
      ORDER BY seller_id, currency FOR UPDATE`;
    if (earnings.length === 0) return 0;
    await this.ledger.post(tx, {
      kind: 'REVERSAL',
      description: `Order ${orderId} refunded: ${reason}`,
      at,
      postings: earnings.flatMap((earning) => [
        sellerPosting(earning, earning.status as SellerAccountKind, -earning.net),
        marketplacePosting(earning, 'COMMISSION', -earning.commission),
        marketplacePosting(earning, 'BUYER_FUNDS', earning.gross),
      ]),
    });
    await tx.$executeRaw`UPDATE seller_earnings SET status = 'REVERSED', updated_at = now() WHERE order_id = ${orderId} AND status IN ('PENDING', 'AVAILABLE')`;
    return earnings.length;
  }

  /**
   * Makes available every earning delivered at least the holding period before `asOf` (default
   * now; the payout run and tests may look ahead). Rows another round holds are skipped; returns
   * how many were released.
   */
  async releaseDue(asOf: Date = new Date()): Promise<number> {
    const cutoff = new Date(asOf.getTime() - this.settings.holdMs);
    let released = 0;
    for (;;) {
      const batch = await this.db.$transaction(async (tx) => {
        const due = await tx.$queryRaw<SellerEarning[]>`
          SELECT order_id AS "orderId", seller_id AS "sellerId", currency, net
          FROM seller_earnings WHERE status = 'PENDING' AND delivered_at <= ${cutoff}
          ORDER BY order_id, seller_id, currency LIMIT ${RELEASE_BATCH} FOR UPDATE SKIP LOCKED`;
        if (due.length === 0) return 0;
        await this.ledger.post(tx, {
          kind: 'RELEASE',
          description: `Holding period over for ${due.length} order part(s)`,
          at: asOf,
          postings: due.flatMap((earning) => [sellerPosting(earning, 'PENDING', -earning.net), sellerPosting(earning, 'AVAILABLE', earning.net)]),
        });
        for (const { orderId, sellerId, currency } of due) {
          await tx.sellerEarning.update({ where: { orderId_sellerId_currency: { orderId, sellerId, currency } }, data: { status: 'AVAILABLE' } });
        }
        return due.length;
      });
      released += batch;
      if (batch < RELEASE_BATCH) return released;
    }
  }
}

type EarningKey = Pick<SellerEarning, 'orderId' | 'sellerId' | 'currency'>;

const sellerPosting = (earning: EarningKey, kind: SellerAccountKind, amount: bigint): Posting => ({
  ownerId: earning.sellerId,
  kind,
  currency: earning.currency,
  amount,
  orderId: earning.orderId,
  sellerId: earning.sellerId,
});

const marketplacePosting = (earning: EarningKey, kind: 'COMMISSION' | 'BUYER_FUNDS', amount: bigint): Posting => ({
  ownerId: MARKETPLACE,
  kind,
  currency: earning.currency,
  amount,
  orderId: earning.orderId,
  sellerId: earning.sellerId,
});
