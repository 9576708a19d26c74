import { type EventConsumer } from '@bazaar/events';
import { ListingCreated, ListingPriceChanged, ListingRemoved, ListingStockChanged } from '@bazaar/contracts/books';
import { OrderPaid } from '@bazaar/contracts/orders';
import type { RawSql } from '@bazaar/service';

type Tx = RawSql;

/**
 * The cart's copy of the catalog's listings, fed by catalog events (bazaar.catalog: created,
 * repriced, removed) and inventory events (bazaar.inventory: stock and status). Each group of
 * columns remembers the time of the event that set it, and an older event never overwrites a newer
 * one: the two topics are not ordered with respect to each other, so a stock change may arrive
 * before the listing's creation. Redelivered events are dropped by the consumer (processed_events).
 *
 * It also drops bought quantities from the buyer's cart when an order is paid.
 */
export function registerCartHandlers(consumer: EventConsumer<Tx>): EventConsumer<Tx> {
  return consumer
    .on(ListingCreated, async ({ data, occurredAt }, tx) => {
      const at = new Date(occurredAt);
      const removed = data.status === 'REMOVED' ? at : null;
      await tx.$executeRaw`
        INSERT INTO listings (id, book_id, seller_id, price_amount, currency, quantity, status, removed_at, price_as_of, stock_as_of, updated_at)
        VALUES (${data.listingId}, ${data.bookId}, ${data.sellerId}, ${data.price.amount}, ${data.price.currency}, ${data.quantity},
                ${data.status}, ${removed}, ${at}, ${at}, now())
        ON CONFLICT (id) DO UPDATE SET
          book_id = EXCLUDED.book_id,
          seller_id = EXCLUDED.seller_id,
          price_amount = CASE WHEN listings.price_as_of IS NULL OR listings.price_as_of <= EXCLUDED.price_as_of THEN EXCLUDED.price_amount ELSE listings.price_amount END,
          currency = CASE WHEN listings.price_as_of IS NULL OR listings.price_as_of <= EXCLUDED.price_as_of THEN EXCLUDED.currency ELSE listings.currency END,
          price_as_of = GREATEST(listings.price_as_of, EXCLUDED.price_as_of),
          quantity = CASE WHEN listings.stock_as_of IS NULL OR listings.stock_as_of <= EXCLUDED.stock_as_of THEN EXCLUDED.quantity ELSE listings.quantity END,
          status = CASE WHEN listings.stock_as_of IS NULL OR listings.stock_as_of <= EXCLUDED.stock_as_of THEN EXCLUDED.status ELSE listings.status END,
          stock_as_of = GREATEST(listings.stock_as_of, EXCLUDED.stock_as_of),
          removed_at = COALESCE(listings.removed_at, EXCLUDED.removed_at),
          updated_at = now()`;
    })
    .on(ListingPriceChanged, async ({ data, occurredAt }, tx) => {
      const at = new Date(occurredAt);
      await tx.$executeRaw`
        INSERT INTO listings (id, book_id, seller_id, price_amount, currency, price_as_of, updated_at)
        VALUES (${data.listingId}, ${data.bookId}, ${data.sellerId}, ${data.price.amount}, ${data.price.currency}, ${at}, now())
        ON CONFLICT (id) DO UPDATE SET
          price_amount = EXCLUDED.price_amount,
          currency = EXCLUDED.currency,
          price_as_of = EXCLUDED.price_as_of,
          updated_at = now()
        WHERE listings.price_as_of IS NULL OR listings.price_as_of <= EXCLUDED.price_as_of`;
    })
    .on(ListingStockChanged, async ({ data, occurredAt }, tx) => {
      const at = new Date(occurredAt);
      const removed = data.status === 'REMOVED' ? at : null;
      await tx.$executeRaw`
        INSERT INTO listings (id, book_id, quantity, status, removed_at, stock_as_of, updated_at)
        VALUES (${data.listingId}, ${data.bookId}, ${data.quantity}, ${data.status}, ${removed}, ${at}, now())
        ON CONFLICT (id) DO UPDATE SET
          quantity = EXCLUDED.quantity,
          status = EXCLUDED.status,
          stock_as_of = EXCLUDED.stock_as_of,
          removed_at = COALESCE(listings.removed_at, EXCLUDED.removed_at),
          updated_at = now()
        WHERE listings.stock_as_of IS NULL OR listings.stock_as_of <= EXCLUDED.stock_as_of`;
    })
    .on(ListingRemoved, async ({ data, occurredAt }, tx) => {
      const at = new Date(occurredAt);
      await tx.$executeRaw`
        INSERT INTO listings (id, book_id, seller_id, removed_at, updated_at)
        VALUES (${data.listingId}, ${data.bookId}, ${data.sellerId}, ${at}, now())
        ON CONFLICT (id) DO UPDATE SET removed_at = COALESCE(listings.removed_at, EXCLUDED.removed_at), updated_at = now()`;
    })
    .on(OrderPaid, async ({ data }, tx) => {
      for (const line of data.lines) {
        await tx.$executeRaw`
          DELETE FROM cart_items WHERE listing_id = ${line.listingId} AND quantity <= ${line.quantity}
            AND cart_id = (SELECT id FROM carts WHERE owner_id = ${data.buyerId})`;
        await tx.$executeRaw`
          UPDATE cart_items SET quantity = quantity - ${line.quantity}, updated_at = now()
          WHERE listing_id = ${line.listingId} AND quantity > ${line.quantity}
            AND cart_id = (SELECT id FROM carts WHERE owner_id = ${data.buyerId})`;
      }
    });
}
