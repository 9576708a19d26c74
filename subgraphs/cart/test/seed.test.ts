import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { DEMO_USER_IDS } from '@bazaar/demo';
import { createTestDatabase, type TestDatabase } from '@bazaar/testing';
import { createPrismaClient } from '@bazaar/bootstrap';
import { seedDemoCarts } from '../src/domain/seed';
import { PrismaClient } from '../src/generated/prisma/client';

let database: TestDatabase;
let db: PrismaClient;

beforeAll(async () => {
  database = await createTestDatabase(inject('postgresAdminUrl'), 'cart');
  db = createPrismaClient((options) => new PrismaClient(options), database.url);
});
afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

describe('demo carts', () => {
  it('waits for the projection, then fills each demo user\'s cart once, never with their own listings', async () => {
    expect(await seedDemoCarts(db)).toEqual({ carts: 0, lines: 0 });
    const sam = DEMO_USER_IDS[1]!;
    await db.listingProjection.createMany({
      data: Array.from({ length: 20 }, (_, index) => ({
        id: randomUUID(),
        bookId: randomUUID(),
        sellerId: index % 2 === 0 ? sam : randomUUID(),
        priceAmount: 1000 + index,
        currency: 'EUR',
        quantity: 2,
        status: 'ACTIVE',
      })),
    });
    expect(await seedDemoCarts(db)).toEqual({ carts: 5, lines: 15 });
    const samsLines = await db.cartItem.findMany({ where: { cart: { ownerId: sam } } });
    const own = await db.listingProjection.count({ where: { id: { in: samsLines.map(({ listingId }) => listingId) }, sellerId: sam } });
    expect(samsLines).toHaveLength(3);
    expect(own).toBe(0);
    expect(await seedDemoCarts(db)).toEqual({ carts: 0, lines: 0 });
  });
});
