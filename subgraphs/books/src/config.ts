import { z } from 'zod';
import { baseServiceConfig, loadConfig, port, postgresUrl } from '@bazaar/service';

const booksConfigSchema = baseServiceConfig.extend({
  BOOKS_PORT: port(4002),
  BOOKS_DATABASE_URL: postgresUrl,
  /** Seeds the demo catalog into an empty database on start; ignored in production. */
  SEED_DEMO_DATA: z.enum(['true', 'false']).default('false').transform((value) => value === 'true'),
  /** How many books the demo catalog has (npm run seed -w @bazaar/books -- --size N makes bigger ones). */
  DEMO_CATALOG_SIZE: z.coerce.number().int().min(1).max(1_000_000).default(2000),
});

export type BooksConfig = z.infer<typeof booksConfigSchema>;

export const loadBooksConfig = (env: Record<string, string | undefined> = process.env) =>
  loadConfig(booksConfigSchema, env);
