import { connectionOf, cursorValue, decodeCursor, encodeCursor, pageArgs } from '@bazaar/service';
import { type EventConsumer } from '@bazaar/events';
import { SellerRatingChanged } from '@bazaar/contracts/reviews';
import { Prisma, type Listing, type ListingCondition, type PrismaClient } from '../generated/prisma/client';
import type { ListingConnectionModel } from './types';

type Tx = Prisma.TransactionClient;

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

const LIST = 'listing:SELLER_RATING';

interface Ranked {
  id: string;
  average: number;
  count: number;
}

/**
 * One page of a book's offers (`where` selects them; `condition` repeats its condition filter for
 * SQL), best-rated sellers first: overall rating, then number of ratings, then price, then id, so
 * the order is total and keyset pages never skip or repeat. Unrated sellers count as 0 ratings of
 * 0 stars, so they come last. The ranking runs in SQL over the projection; the page's listings are
 * read in one more statement.
 */
export async function listingsBySellerRating(
  db: PrismaClient,
  bookId: string,
  where: Prisma.ListingWhereInput,
  args: { first?: number | null; after?: string | null; condition?: ListingCondition | null },
): Promise<ListingConnectionModel> {
  const page = pageArgs(args);
  const position = decodeCursor(page.after, LIST, [cursorValue.number, cursorValue.integer, cursorValue.integer, cursorValue.uuid]);
  const condition = args.condition ? Prisma.sql`AND l.condition = ${args.condition}::"ListingCondition"` : Prisma.empty;
  // Row comparison on negated keys: (average DESC, count DESC, price ASC, id ASC) strictly after the cursor.
  const afterPosition = position
    ? Prisma.sql`AND (-coalesce(r.average, 0), -coalesce(r.count, 0), l.price_amount, l.id)
                   > (${-Number(position[0])}::float8, ${-Number(position[1])}::int, ${Number(position[2])}::int, ${String(position[3])}::uuid)`
    : Prisma.empty;
  const ranked = await db.$queryRaw<Ranked[]>`
    SELECT l.id, coalesce(r.average, 0)::float8 AS average, coalesce(r.count, 0)::int AS count
      FROM listings l LEFT JOIN seller_ratings r ON r.seller_id = l.seller_id
     WHERE l.book_id = ${bookId}::uuid AND l.status = 'ACTIVE' ${condition} ${afterPosition}
     ORDER BY coalesce(r.average, 0) DESC, coalesce(r.count, 0) DESC, l.price_amount ASC, l.id ASC
     LIMIT ${page.first + 1}`;
  const byId = new Map((await db.listing.findMany({ where: { id: { in: ranked.map(({ id }) => id) } } })).map((listing) => [listing.id, listing]));
  const rows = ranked.flatMap((rank) => {
    const listing = byId.get(rank.id);
    return listing ? [{ ...rank, listing }] : [];
  });
  let count: Promise<number> | undefined;
  return {
    ...connectionOf<(typeof rows)[number], Listing>(
      rows,
      page,
      (row) => encodeCursor(LIST, [row.average, row.count, row.listing.priceAmount, row.id]),
      (row) => row.listing,
    ),
    totalCount: () => (count ??= db.listing.count({ where })),
  };
}
