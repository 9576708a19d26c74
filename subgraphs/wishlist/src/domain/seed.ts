import { DEMO_USER_IDS } from '@bazaar/demo';
import type { PrismaClient } from '../generated/prisma/client';


const ITEMS_PER_WISHLIST = 4;

/**
 * Fills the wishlists of demo users who have none with a few books of the wishlist's projection
 * (development only), the first with a note and a target price so price alerts can be tried. The
 * projection is filled by the catalog's events, so this finds nothing until it has some.
 */
export async function seedDemoWishlists(db: PrismaClient, userIds: readonly string[] = DEMO_USER_IDS): Promise<{ items: number }> {
  let items = 0;
  for (const [index, userId] of userIds.entries()) {
    if ((await db.wishlistItem.count({ where: { userId } })) > 0) continue;
    const books = await db.bookProjection.findMany({ orderBy: { id: 'asc' }, skip: index * ITEMS_PER_WISHLIST, take: ITEMS_PER_WISHLIST });
    if (books.length === 0) continue;
    const { count } = await db.wishlistItem.createMany({
      data: books.map((book, position) => ({
        userId,
        bookId: book.id,
        ...(position === 0 && { note: 'For the holidays', targetAmount: 1500, targetCurrency: 'EUR' }),
      })),
      skipDuplicates: true,
    });
    items += count;
  }
  return { items };
}
