import { runSubgraph, type TestHooks } from '@bazaar/bootstrap';
import { loaderById, loaderByKey, type RunningService, type ServiceModule } from '@bazaar/service';
import { loadBooksConfig, type BooksConfig } from './config';
import type { BooksContext } from './context';
import { Catalog } from './domain/catalog';
import { Listings } from './domain/listings';
import { ListingPages } from './domain/listing-pages';
import { registerSagaHandlers } from './domain/event-handlers';
import { registerSellerRatingHandlers } from './domain/seller-ratings';
import { seedDemoCatalog } from './domain/seed';
import { PrismaClient, type Prisma } from './generated/prisma/client';
import { resolvers } from './resolvers';

export { loadBooksConfig, type BooksConfig } from './config';

export const service: ServiceModule<BooksConfig> = {
  loadConfig: (env) => loadBooksConfig(env),
  start: (config) => startBooksService(config),
};

/** The books subgraph's composition root: config in, running service out. */
export function startBooksService(config: BooksConfig, testHooks: TestHooks = {}): Promise<RunningService> {
  return runSubgraph<BooksConfig, PrismaClient, Prisma.TransactionClient, BooksContext>({
    name: 'books',
    schemaPath: new URL('./schema.graphql', import.meta.url),
    resolvers,
    config,
    port: config.BOOKS_PORT,
    databaseUrl: config.BOOKS_DATABASE_URL,
    prisma: (options) => new PrismaClient(options),
    testHooks,
    compose: ({ db, events, logger, seedsDemoData, reader }) => {
      const catalog = new Catalog(db, events.outbox, reader);
      const listings = new Listings(db, events.outbox, reader);
      return {
        handlers: (consumer) => registerSellerRatingHandlers(registerSagaHandlers(consumer, events.outbox, logger)),
        prepare: async () => {
          if (!seedsDemoData) return;
          const seeded = await seedDemoCatalog(db, { size: config.DEMO_CATALOG_SIZE, outbox: events.outbox });
          if (seeded.books > 0) logger.info(seeded, 'demo catalog seeded');
        },
        context: (base) => ({
          ...base,
          catalog,
          listings,
          listingPages: new ListingPages(reader),
          booksById: loaderById((ids) => catalog.findMany(ids)),
          listingsById: loaderById((ids) => listings.findMany(ids)),
          authorsByBookId: loaderByKey((ids) => catalog.authorsOf(ids), []),
        }),
      };
    },
  });
}
