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

const LINES_PER_CART = 3;

/**
 * Fills the carts of demo users who never had one with a few listings on sale that are not their
 * own, taken from the cart's projection (development only). The projection is filled by the
 * catalog's events, so this finds nothing until it has some; returns how many lines it wrote.
 */
export async function seedDemoCarts(db: PrismaClient, userIds: readonly string[] = DEMO_SHOPPER_IDS): Promise<{ carts: number; lines: number }> {
  let carts = 0;
  let lines = 0;
  for (const [index, ownerId] of userIds.entries()) {
    if (await db.cart.findUnique({ where: { ownerId }, select: { id: true } })) continue;
    const listings = await db.listingProjection.findMany({
      where: { status: 'ACTIVE', quantity: { gt: 0 }, removedAt: null, priceAmount: { not: null }, NOT: { sellerId: ownerId } },
      orderBy: { id: 'asc' },
      skip: index * LINES_PER_CART,
      take: LINES_PER_CART,
    });
    if (listings.length === 0) continue;
    await db.cart.create({
      data: {
        ownerId,
        items: {
          create: listings.map((listing) => ({
            listingId: listing.id,
            quantity: 1,
            acceptedAmount: listing.priceAmount!,
            acceptedCurrency: listing.currency!,
          })),
        },
      },
    });
    carts += 1;
    lines += listings.length;
  }
  return { carts, lines };
}
