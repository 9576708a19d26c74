import { DEMO_USER_IDS } from '@bazaar/demo';
import type { PrismaClient } from '../generated/prisma/client';


const LINES_PER_CART = 3;

/**
 * Fills the carts of demo users who never had one with a few listings on sale that are not their
 * own, taken from the cart's projection (development only). The projection is filled by the
 * catalog's events, so this finds nothing until it has some; returns how many lines it wrote.
 */
export async function seedDemoCarts(db: PrismaClient, userIds: readonly string[] = DEMO_USER_IDS): Promise<{ carts: number; lines: number }> {
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
