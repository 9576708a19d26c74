/*
 * Seeds a demo catalog into an empty books database, e.g. a big one for benchmarks:
 *   BOOKS_DATABASE_URL=postgres://… npm run seed -w @bazaar/books -- --size 100000
 * With no BOOKS_DATABASE_URL it uses the `npm start` database (embedded Postgres started on demand).
 * The catalog is announced through the books outbox like any other change: a running books service
 * publishes it at once, a stopped one when it next starts, and cart, wishlist and reviews learn it.
 */
import { parseArgs } from 'node:util';
import { PrismaPg } from '@prisma/adapter-pg';
import { withServiceDatabase } from '@bazaar/devstack';
import { createOutbox } from '@bazaar/events';
import { seedDemoCatalog } from './domain/seed';
import { PrismaClient } from './generated/prisma/client';

const { values } = parseArgs({ options: { size: { type: 'string', default: '2000' }, seed: { type: 'string' } } });
const size = Number(values.size);
if (!Number.isInteger(size) || size < 1) {
  console.error('--size must be a positive whole number');
  process.exit(1);
}
const log = (line: string) => console.log(`[seed] ${line}`);
const connect = (connectionString: string) => new PrismaClient({ adapter: new PrismaPg({ connectionString }) });
await withServiceDatabase('books', { env: process.env, log, connect }, async (db) => {
  const started = performance.now();
  const result = await seedDemoCatalog(db, { size, ...(values.seed ? { seed: Number(values.seed) } : {}), outbox: createOutbox('books'), log });
  if (result.books === 0) log('the catalog is not empty; nothing seeded');
  else log(`done in ${Math.round(performance.now() - started)} ms; announced to the other services through the outbox`);
});
