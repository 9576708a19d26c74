import type { PrismaClient } from '../generated/prisma/client';

/**
 * The users service's demo accounts (subgraphs/users/src/demo.ts fixes their ids for this);
 * test/seed.test.ts checks the two lists agree.
 */
export const DEMO_SHOPPER_IDS: readonly string[] = [
  '0193a000-0000-7000-8000-00000000b001', // Bea Buyer
  '0193a000-0000-7000-8000-000000005e01', // Sam Seller
  '0193a000-0000-7000-8000-00000000ad01', // Ada Admin
  '0193a000-0000-7000-8000-000000005e02', // Corner Bookshop
  '0193a000-0000-7000-8000-000000005e03', // Rare Finds Rita
];

const ITEMS_PER_WISHLIST = 4;

/**
 * Fills the wishlists of demo users who have none with a few books of the wishlist's projection
 * (development only), the first with a note and a target price so price alerts can be tried. The
 * projection is filled by the catalog's events, so this finds nothing until it has some.
 */
export async function seedDemoWishlists(db: PrismaClient, userIds: readonly string[] = DEMO_SHOPPER_IDS): Promise<{ items: number }> {
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
