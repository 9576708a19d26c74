import { CATALOG_CURRENCY } from './rules';
import type { RawSql } from '@bazaar/service';

/**
 * Recomputes the books' denormalised offer columns (`lowest_price_amount`, `in_stock`, `offer_conditions`,
 * whose changes the facet summary triggers count) from their
 * listings. Call it in the transaction that changed the listings, after the change: it first locks
 * the books' rows (in id order, after any listing rows, so lock order is always listings → books),
 * then reads the listings in a new statement, so the last of two concurrent writers sees both changes.
 * NO KEY UPDATE (what the UPDATE itself takes) rather than FOR UPDATE: inserting a listing holds KEY
 * SHARE on its book (the foreign key check), and two concurrent inserts upgrading that to FOR UPDATE
 * would deadlock; NO KEY UPDATE does not conflict with KEY SHARE.
 */
export async function refreshOffers(tx: RawSql, bookIds: readonly string[]): Promise<void> {
  const ids = [...new Set(bookIds)].sort();
  if (ids.length === 0) return;
  await tx.$executeRaw`SELECT 1 FROM books WHERE id = ANY(${ids}::uuid[]) ORDER BY id FOR NO KEY UPDATE`;
  await tx.$executeRaw`
    UPDATE books b SET
      lowest_price_amount = (
        SELECT min(l.price_amount) FROM listings l
         WHERE l.book_id = b.id AND l.status = 'ACTIVE' AND l.quantity > 0 AND l.currency = ${CATALOG_CURRENCY}),
      in_stock = EXISTS (SELECT 1 FROM listings l WHERE l.book_id = b.id AND l.status = 'ACTIVE' AND l.quantity > 0),
      offer_conditions = coalesce((
        SELECT array_agg(DISTINCT l.condition::text) FROM listings l
         WHERE l.book_id = b.id AND l.status = 'ACTIVE' AND l.quantity > 0), '{}')
    WHERE b.id = ANY(${ids}::uuid[])`;
}

/** Status that follows from a quantity: an ACTIVE listing with no copies is SOLD_OUT and back. */
export function statusFor(current: 'ACTIVE' | 'PAUSED' | 'SOLD_OUT' | 'REMOVED', quantity: number) {
  if (current === 'ACTIVE' && quantity === 0) return 'SOLD_OUT' as const;
  if (current === 'SOLD_OUT' && quantity > 0) return 'ACTIVE' as const;
  return current;
}

/** refreshOffers for the whole catalog in one statement (after a bulk load). */
export async function refreshAllOffers(db: RawSql): Promise<void> {
  await db.$executeRaw`
    UPDATE books b SET lowest_price_amount = offers.lowest, in_stock = offers.in_stock, offer_conditions = offers.conditions
    FROM (
      SELECT bk.id,
             min(l.price_amount) FILTER (WHERE l.status = 'ACTIVE' AND l.quantity > 0 AND l.currency = ${CATALOG_CURRENCY}) AS lowest,
             coalesce(bool_or(l.status = 'ACTIVE' AND l.quantity > 0), false) AS in_stock,
             coalesce(array_agg(DISTINCT l.condition::text) FILTER (WHERE l.status = 'ACTIVE' AND l.quantity > 0), '{}') AS conditions
        FROM books bk LEFT JOIN listings l ON l.book_id = bk.id
       GROUP BY bk.id
    ) offers
    WHERE offers.id = b.id`;
}
