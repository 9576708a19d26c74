/*
 * Seeds a demo catalog into an empty books database, e.g. a big one for benchmarks:
 *   BOOKS_DATABASE_URL=postgres://… npm run seed -w @bazaar/books -- --size 100000
 * With no BOOKS_DATABASE_URL it uses the `npm start` database (embedded Postgres started on demand).
 */
import { parseArgs } from 'node:util';
import { PrismaPg } from '@prisma/adapter-pg';
import { prepareDatabases } from '@bazaar/devstack';
import { seedDemoCatalog } from './domain/seed';
import { PrismaClient } from './generated/prisma/client';

const { values } = parseArgs({ options: { size: { type: 'string', default: '2000' }, seed: { type: 'string' } } });
const size = Number(values.size);
if (!Number.isInteger(size) || size < 1) {
  console.error('--size must be a positive whole number');
  process.exit(1);
}
const log = (line: string) => console.log(`[seed] ${line}`);
const databases = process.env.BOOKS_DATABASE_URL ? undefined : await prepareDatabases(process.env, log);
const url = process.env.BOOKS_DATABASE_URL ?? databases!.databaseUrls.books!;
const db = new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) });
try {
  const started = performance.now();
  const result = await seedDemoCatalog(db, { size, ...(values.seed ? { seed: Number(values.seed) } : {}), log });
  if (result.books === 0) log('the catalog is not empty; nothing seeded');
  else log(`done in ${Math.round(performance.now() - started)} ms`);
} finally {
  await db.$disconnect();
  await databases?.stop();
}
