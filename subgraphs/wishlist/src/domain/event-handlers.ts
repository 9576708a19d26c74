import { randomUUID } from 'node:crypto';
import { type EventConsumer, type Outbox } from '@bazaar/events';
import { BookCreated, BookUpdated, ListingCreated, ListingPriceChanged, ListingRemoved, ListingStockChanged } from '@bazaar/contracts/books';
import { WishlistPriceAlert } from '@bazaar/contracts/wishlist';
import type { RawSql } from '@bazaar/service';
import { formatMoney } from './rules';

type Tx = RawSql;

interface Offer {
  listingId: string;
  bookId: string;
  price: { amount: number; currency: string };
  /** A price before the change: only items whose target it was above are alerted (a drop *to* the target). */
  previousPrice?: { amount: number; currency: string };
  at: Date;
}

/**
 * Records a PRICE_ALERT notification, and publishes WishlistPriceAlert, for every wishlist item of
 * the offer's book whose target price (same currency) the offer meets — in the consumer's
 * transaction, so a redelivered event alerts nobody twice.
 */
async function alertWishers(tx: Tx, outbox: Outbox, offer: Offer): Promise<void> {
  const { amount, currency } = offer.price;
  const wishers = await tx.$queryRaw<{ userId: string; targetAmount: number; targetCurrency: string }[]>`
    SELECT user_id AS "userId", target_amount AS "targetAmount", target_currency AS "targetCurrency"
      FROM wishlist_items WHERE book_id = ${offer.bookId} AND target_currency = ${currency} AND target_amount >= ${amount}
     ORDER BY id`;
  const previous = offer.previousPrice;
  const crossing = wishers.filter(
    (item) => !previous || previous.currency !== currency || previous.amount > item.targetAmount,
  );
  if (crossing.length === 0) return;
  const [book] = await tx.$queryRaw<{ title: string }[]>`SELECT title FROM books WHERE id = ${offer.bookId}`;
  const title = book?.title ?? 'A book on your wishlist';
  for (const item of crossing) {
    const notificationId = randomUUID();
    const message = `"${title}" is on sale for ${formatMoney(amount, currency)} (your target: ${formatMoney(item.targetAmount, currency)}).`;
    await tx.$executeRaw`
      INSERT INTO notifications (id, user_id, kind, message, book_id, listing_id, price_amount, currency, target_amount, target_currency, created_at)
      VALUES (${notificationId}::uuid, ${item.userId}, 'PRICE_ALERT', ${message}, ${offer.bookId}, ${offer.listingId}, ${amount}, ${currency},
              ${item.targetAmount}, ${item.targetCurrency}, ${offer.at})`;
    await outbox.add(tx, {
      definition: WishlistPriceAlert,
      key: item.userId,
      data: {
        notificationId,
        userId: item.userId,
        bookId: offer.bookId,
        listingId: offer.listingId,
        price: offer.price,
        targetPrice: { amount: item.targetAmount, currency },
        alertedAt: offer.at.toISOString(),
      },
    });
  }
}

/**
 * The wishlist's projections of the catalog (books, so it knows which ids exist; listings' status,
 * so a repriced paused listing alerts nobody) and its price alerts.
 */
export function registerWishlistHandlers(consumer: EventConsumer<Tx>, outbox: Outbox): EventConsumer<Tx> {
  return consumer
    .on(BookCreated, async ({ data }, tx) => {
      await tx.$executeRaw`
        INSERT INTO books (id, title, updated_at) VALUES (${data.bookId}, ${data.title}, now())
        ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, updated_at = now()`;
    })
    .on(BookUpdated, async ({ data }, tx) => {
      await tx.$executeRaw`
        INSERT INTO books (id, title, updated_at) VALUES (${data.bookId}, ${data.title}, now())
        ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, updated_at = now()`;
    })
    .on(ListingCreated, async ({ data, occurredAt }, tx) => {
      const at = new Date(occurredAt);
      await tx.$executeRaw`
        INSERT INTO listings (id, book_id, status, quantity, stock_as_of, updated_at)
        VALUES (${data.listingId}, ${data.bookId}, ${data.status}, ${data.quantity}, ${at}, now())
        ON CONFLICT (id) DO UPDATE SET
          book_id = EXCLUDED.book_id,
          status = CASE WHEN listings.stock_as_of IS NULL OR listings.stock_as_of <= EXCLUDED.stock_as_of THEN EXCLUDED.status ELSE listings.status END,
          quantity = CASE WHEN listings.stock_as_of IS NULL OR listings.stock_as_of <= EXCLUDED.stock_as_of THEN EXCLUDED.quantity ELSE listings.quantity END,
          stock_as_of = GREATEST(listings.stock_as_of, EXCLUDED.stock_as_of),
          updated_at = now()`;
      if (data.status === 'ACTIVE' && data.quantity > 0) {
        await alertWishers(tx, outbox, { listingId: data.listingId, bookId: data.bookId, price: data.price, at });
      }
    })
    .on(ListingPriceChanged, async ({ data, occurredAt }, tx) => {
      const [listing] = await tx.$queryRaw<{ status: string; quantity: number; removedAt: Date | null }[]>`
        SELECT status, quantity, removed_at AS "removedAt" FROM listings WHERE id = ${data.listingId}`;
      const onSale = !listing || (listing.status === 'ACTIVE' && listing.quantity > 0 && !listing.removedAt);
      if (!onSale) return;
      await alertWishers(tx, outbox, {
        listingId: data.listingId,
        bookId: data.bookId,
        price: data.price,
        previousPrice: data.previousPrice,
        at: new Date(occurredAt),
      });
    })
    .on(ListingStockChanged, async ({ data, occurredAt }, tx) => {
      const at = new Date(occurredAt);
      await tx.$executeRaw`
        INSERT INTO listings (id, book_id, status, quantity, stock_as_of, updated_at)
        VALUES (${data.listingId}, ${data.bookId}, ${data.status}, ${data.quantity}, ${at}, now())
        ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, quantity = EXCLUDED.quantity, stock_as_of = EXCLUDED.stock_as_of, updated_at = now()
        WHERE listings.stock_as_of IS NULL OR listings.stock_as_of <= EXCLUDED.stock_as_of`;
    })
    .on(ListingRemoved, async ({ data, occurredAt }, tx) => {
      await tx.$executeRaw`
        INSERT INTO listings (id, book_id, removed_at, updated_at) VALUES (${data.listingId}, ${data.bookId}, ${new Date(occurredAt)}, now())
        ON CONFLICT (id) DO UPDATE SET removed_at = COALESCE(listings.removed_at, EXCLUDED.removed_at), updated_at = now()`;
    });
}
