import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@bazaar/testing';
import { DEMO_SELLER_IDS } from '@bazaar/demo';
import { createPrismaClient } from '@bazaar/bootstrap';
import { PrismaClient } from '../src/generated/prisma/client';
import { seedDemoCatalog } from '../src/domain/seed';
import { createOutbox } from '@bazaar/events';

const outbox = createOutbox('books');
let databases: TestDatabase[] = [];

beforeAll(async () => {
  databases = await Promise.all([createTestDatabase(inject('postgresAdminUrl'), 'books'), createTestDatabase(inject('postgresAdminUrl'), 'books')]);
});
afterAll(async () => {
  await Promise.all(databases.map((database) => database.drop()));
});

async function snapshot(url: string) {
  const pool = new pg.Pool({ connectionString: url });
  try {
    const books = await pool.query('SELECT id, isbn13, title, author_names, genres, lowest_price_amount, in_stock FROM books ORDER BY id');
    const listings = await pool.query('SELECT id, seller_id, condition, price_amount, currency, quantity, status FROM listings ORDER BY id');
    const facets = await pool.query(`SELECT count(DISTINCT g) AS genres, count(DISTINCT a.id) AS authors FROM books, unnest(genres) g, authors a`);
    return { books: books.rows, listings: listings.rows, facets: facets.rows[0] };
  } finally {
    await pool.end();
  }
}

describe('the demo catalog', () => {
  it('is deterministic, varied, and only seeded into an empty catalog', async () => {
    const runs = await Promise.all(
      databases.map(async (database) => {
        const db = createPrismaClient((options) => new PrismaClient(options), database.url);
        try {
          const result = await seedDemoCatalog(db, { size: 300, outbox });
          expect(await seedDemoCatalog(db, { size: 300, outbox })).toEqual({ books: 0, authors: 0, listings: 0 });
          return { result, data: await snapshot(database.url) };
        } finally {
          await db.$disconnect();
        }
      }),
    );
    const [first, second] = runs as [(typeof runs)[0], (typeof runs)[0]];
    expect(first.result.books).toBe(300);
    expect(first.data).toEqual(second.data);
    expect(Number(first.data.facets.genres)).toBeGreaterThan(10);
    expect(Number(first.data.facets.authors)).toBeGreaterThanOrEqual(50);
    const listings = first.data.listings as { seller_id: string; condition: string; price_amount: number; quantity: number }[];
    expect(new Set(listings.map(({ seller_id }) => seller_id))).toEqual(new Set(DEMO_SELLER_IDS));
    expect(new Set(listings.map(({ condition }) => condition)).size).toBe(5);
    expect(new Set(listings.map(({ price_amount }) => price_amount)).size).toBeGreaterThan(50);
    expect(listings.some(({ quantity }) => quantity === 0) && listings.some(({ quantity }) => quantity > 5)).toBe(true);
    expect((first.data.books as { in_stock: boolean }[]).filter(({ in_stock }) => in_stock).length).toBeGreaterThan(100);
  });
});
