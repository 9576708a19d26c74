import { type EventConsumer } from '@bazaar/events';
import { SellerRatingChanged } from '@bazaar/contracts/reviews';
import type { RawSql } from '@bazaar/service';

type Tx = RawSql;

/**
 * Sellers' ratings reach the catalog as SellerRatingChanged events from reviews (which alone owns
 * feedback), kept in `seller_ratings` so that offers can be sorted by them in one query. Only a
 * newer revision replaces what is kept, so a redelivered or late event changes nothing.
 */
export function registerSellerRatingHandlers(consumer: EventConsumer<Tx>): EventConsumer<Tx> {
  return consumer.on(SellerRatingChanged, async ({ data }, tx) => {
    await tx.$executeRaw`
      INSERT INTO seller_ratings (seller_id, average, count, revision, updated_at)
      VALUES (${data.sellerId}::uuid, ${data.average}::float8, ${data.count}, ${data.revision}, ${data.changedAt}::timestamptz)
      ON CONFLICT (seller_id) DO UPDATE SET
        average = EXCLUDED.average, count = EXCLUDED.count, revision = EXCLUDED.revision, updated_at = EXCLUDED.updated_at
      WHERE seller_ratings.revision < EXCLUDED.revision`;
  });
}
