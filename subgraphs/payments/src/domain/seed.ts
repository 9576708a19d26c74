import { DEMO_SELLER_IDS } from '@bazaar/demo';
import type { PrismaClient } from '../generated/prisma/client';
import type { SellerEarnings } from './earnings';
import type { Payouts } from './payouts';

const DAY = 86_400_000;

/** A demo order's id: fixed, so a second start recognises the demo history (orders knows no such order). */
const demoOrderId = (seller: number, order: number) => `0193a000-0000-7000-9000-${String(seller * 100 + order).padStart(12, '0')}`;

/**
 * Each demo seller's order history, relative to now: paid `paidDaysAgo`, delivered `deliveredDaysAgo`
 * (null: not yet), `refunded` after payment. With the default 7-day hold this leaves each seller a
 * payout, money available, money pending and a reversal in their statement.
 */
const HISTORY = [
  { paidDaysAgo: 60, deliveredDaysAgo: 56, refunded: false, lines: [{ amount: 1299, quantity: 1 }, { amount: 850, quantity: 2 }] },
  { paidDaysAgo: 45, deliveredDaysAgo: 41, refunded: false, lines: [{ amount: 2450, quantity: 1 }] },
  { paidDaysAgo: 32, deliveredDaysAgo: 28, refunded: false, lines: [{ amount: 999, quantity: 3 }] },
  { paidDaysAgo: 20, deliveredDaysAgo: null, refunded: true, lines: [{ amount: 1800, quantity: 1 }] },
  { paidDaysAgo: 18, deliveredDaysAgo: 14, refunded: false, lines: [{ amount: 3200, quantity: 1 }, { amount: 500, quantity: 1 }] },
  { paidDaysAgo: 5, deliveredDaysAgo: 2, refunded: false, lines: [{ amount: 1575, quantity: 2 }] },
  { paidDaysAgo: 1, deliveredDaysAgo: null, refunded: false, lines: [{ amount: 1100, quantity: 1 }] },
] as const;

/** Orders paid before this many days ago were paid out by an earlier payout run. */
const PAID_OUT_BEFORE_DAYS = 25;

/**
 * Demo data for development, into an empty ledger only: the demo sellers' sales, deliveries, a
 * refund and one past payout run, booked through the same domain code as real orders (so the
 * ledger balances and the commission rule applies).
 */
export async function seedDemoPayouts(db: PrismaClient, earnings: SellerEarnings, payouts: Payouts): Promise<{ sales: number; payouts: number }> {
  if ((await db.ledgerTransaction.count()) > 0) return { sales: 0, payouts: 0 };
  const now = Date.now();
  const ago = (days: number) => new Date(now - days * DAY);
  let sales = 0;
  const book = async (before: boolean) => {
    for (const [sellerIndex, sellerId] of DEMO_SELLER_IDS.entries()) {
      for (const [orderIndex, order] of HISTORY.entries()) {
        if (order.paidDaysAgo > PAID_OUT_BEFORE_DAYS !== before) continue;
        const orderId = demoOrderId(sellerIndex + 1, orderIndex + 1);
        // Prices differ a little per seller, so their balances differ too.
        const lines = order.lines.map(({ amount, quantity }) => ({ sellerId, quantity, unitPrice: { amount: amount + sellerIndex * 100, currency: 'EUR' } }));
        await db.$transaction(async (tx) => {
          await earnings.credit(tx, { orderId, paidAt: ago(order.paidDaysAgo), lines });
          if (order.deliveredDaysAgo !== null) await earnings.delivered(tx, orderId, ago(order.deliveredDaysAgo));
          if (order.refunded) await earnings.reverse(tx, orderId, 'Cancelled by the buyer before shipping.', ago(order.paidDaysAgo - 1));
        });
        sales++;
      }
    }
  };
  await book(true);
  const run = await payouts.run({ asOf: ago(PAID_OUT_BEFORE_DAYS) });
  await book(false);
  await earnings.releaseDue();
  return { sales, payouts: run.payouts.length };
}
