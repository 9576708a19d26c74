import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@bazaar/testing';
import { createPrismaClient } from '@bazaar/bootstrap';
import { seedDemoWishlists } from '../src/domain/seed';
import { PrismaClient } from '../src/generated/prisma/client';

let database: TestDatabase;
let db: PrismaClient;

beforeAll(async () => {
  database = await createTestDatabase(inject('postgresAdminUrl'), 'wishlist');
  db = createPrismaClient((options) => new PrismaClient(options), database.url);
});
afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

describe('demo wishlists', () => {
  it('waits for the projection, then fills each demo user\'s wishlist once', async () => {
    expect(await seedDemoWishlists(db)).toEqual({ items: 0 });
    await db.bookProjection.createMany({ data: Array.from({ length: 30 }, (_, index) => ({ id: randomUUID(), title: `Demo ${index}` })) });
    expect(await seedDemoWishlists(db)).toEqual({ items: 20 });
    expect(await db.wishlistItem.count({ where: { targetAmount: 1500 } })).toBe(5);
    expect(await seedDemoWishlists(db)).toEqual({ items: 0 });
  });
});
