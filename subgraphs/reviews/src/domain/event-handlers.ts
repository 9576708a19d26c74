import { type EventConsumer } from '@bazaar/events';
import { BookCreated, BookUpdated } from '@bazaar/contracts/books';
import { OrderDelivered } from '@bazaar/contracts/orders';
import type { RawSql } from '@bazaar/service';
import { lockPurchase } from './reviews';

type Tx = RawSql;

/** Keeps the books that can be reviewed: every book the catalog announced. */
async function knowBook(tx: Tx, bookId: string, title: string): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO known_books (book_id, title) VALUES (${bookId}::uuid, ${title})
    ON CONFLICT (book_id) DO UPDATE SET title = EXCLUDED.title, updated_at = now()`;
}

/**
 * A delivered order makes its buyer a verified purchaser of its books: recorded (counting the
 * orders, so a second application would show), and the buyer's existing reviews of those books
 * flip to verified. Each of its sellers may now be rated by the buyer for this order (lines
 * published before OrderDelivered named sellers carry none: those orders give no seller feedback).
 */
async function recordDelivery(
  tx: Tx,
  data: { orderId: string; buyerId: string; deliveredAt: string; lines: { bookId: string; sellerId?: string | undefined }[] },
): Promise<void> {
  const bookIds = [...new Set(data.lines.map(({ bookId }) => bookId))].sort();
  for (const bookId of bookIds) {
    await lockPurchase(tx, data.buyerId, bookId);
    await tx.$executeRaw`
      INSERT INTO verified_purchases (buyer_id, book_id, order_count, last_delivered_at)
      VALUES (${data.buyerId}::uuid, ${bookId}::uuid, 1, ${data.deliveredAt}::timestamptz)
      ON CONFLICT (buyer_id, book_id) DO UPDATE SET
        order_count = verified_purchases.order_count + 1,
        last_delivered_at = greatest(verified_purchases.last_delivered_at, EXCLUDED.last_delivered_at)`;
  }
  await tx.$executeRaw`
    UPDATE reviews SET verified_purchase = true
     WHERE author_id = ${data.buyerId}::uuid AND book_id = ANY(${bookIds}::uuid[]) AND NOT verified_purchase`;
  const sellerIds = [...new Set(data.lines.flatMap(({ sellerId }) => (sellerId ? [sellerId] : [])))];
  if (sellerIds.length === 0) return;
  await tx.$executeRaw`
    INSERT INTO delivered_sales (order_id, seller_id, buyer_id, delivered_at)
    SELECT ${data.orderId}::uuid, seller_id, ${data.buyerId}::uuid, ${data.deliveredAt}::timestamptz FROM unnest(${sellerIds}::uuid[]) AS seller_id
    ON CONFLICT (order_id, seller_id) DO NOTHING`;
}

/** The reviews service's event handlers (group `reviews`): the catalog's books and delivered orders. */
export function registerReviewHandlers(consumer: EventConsumer<Tx>): EventConsumer<Tx> {
  return consumer
    .on(BookCreated, (event, tx) => knowBook(tx, event.data.bookId, event.data.title))
    .on(BookUpdated, (event, tx) => knowBook(tx, event.data.bookId, event.data.title))
    .on(OrderDelivered, (event, tx) => recordDelivery(tx, event.data));
}
