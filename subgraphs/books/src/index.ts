import DataLoader from 'dataloader';
import { EventConsumer, startEventBackbone, type EventBackbone, type RelayLogger, eventReadiness } from '@bazaar/events';
import { createLogger, TRANSACTION_LIMITS, tokenVerifierFromConfig, startSubgraph, type RunningService, type ServiceModule, postgresAdapter } from '@bazaar/service';
import { loadBooksConfig, type BooksConfig } from './config';
import { Catalog } from './domain/catalog';
import { Listings } from './domain/listings';
import { registerSagaHandlers } from './domain/saga';
import { seedDemoCatalog } from './domain/seed';
import { PrismaClient, type Author, type Book, type Listing, type Prisma } from './generated/prisma/client';
import { resolvers } from './resolvers';
import type { BooksContext } from './context';

export { loadBooksConfig, type BooksConfig } from './config';

export const service: ServiceModule<BooksConfig> = {
  loadConfig: (env) => loadBooksConfig(env),
  start: (config) => startBooksService(config),
};

/** Hooks for tests only; production code never passes them. */
export interface BooksServiceInternals {
  /** Called with every SQL statement Prisma sends (the batching test counts them). */
  onQuery?: (sql: string) => void;
  /** false: do not consume the checkout saga's events (a second instance that only answers queries). */
  consume?: boolean;
}

/**
 * Limits of one saga handler's transaction. Reservations of one listing queue on its row lock, so
 * waiting a while is normal; both stay well below the transport's redelivery (30 s).
 */
export const SAGA_TRANSACTION = { maxWait: 10_000, timeout: 20_000 } as const;

/** Books' checkout-saga consumer (group `books`, the orders topic); started by the caller. */
export function createSagaConsumer(
  db: PrismaClient,
  events: Pick<EventBackbone, 'transport' | 'outbox'>,
  logger: RelayLogger,
): EventConsumer<Prisma.TransactionClient> {
  return registerSagaHandlers(
    new EventConsumer<Prisma.TransactionClient>({
      consumer: 'books',
      transport: events.transport,
      logger,
      transaction: (work) => db.$transaction(work, SAGA_TRANSACTION),
    }),
    events.outbox,
    logger,
  );
}

/** Builds a Prisma client for the books database (query events on when someone listens). */
export function createBooksDb(databaseUrl: string, onQuery?: (sql: string) => void): PrismaClient {
  if (!onQuery) return new PrismaClient({ adapter: postgresAdapter(databaseUrl), transactionOptions: TRANSACTION_LIMITS });
  const db = new PrismaClient({ adapter: postgresAdapter(databaseUrl), transactionOptions: TRANSACTION_LIMITS, log: [{ emit: 'event', level: 'query' }] });
  db.$on('query', (event) => onQuery(event.query));
  return db;
}

/** The books subgraph's composition root: config in, running service out. */
export async function startBooksService(config: BooksConfig, internals: BooksServiceInternals = {}): Promise<RunningService> {
  const logger = createLogger({ service: 'books', level: config.LOG_LEVEL });
  const db = createBooksDb(config.BOOKS_DATABASE_URL, internals.onQuery);
  const events = await startEventBackbone({ service: 'books', databaseUrl: config.BOOKS_DATABASE_URL, config, logger });
  const catalog = new Catalog(db, events.outbox);
  const listings = new Listings(db, events.outbox);
  const verifier = tokenVerifierFromConfig(config);
  const saga = createSagaConsumer(db, events, logger);
  const release = async () => {
    await saga.stop();
    await events.stop();
    await db.$disconnect();
  };

  try {
    if (internals.consume !== false) await saga.start();
    if (config.SEED_DEMO_DATA && config.NODE_ENV !== 'production') {
      const seeded = await seedDemoCatalog(db, { size: config.DEMO_CATALOG_SIZE, outbox: events.outbox });
      if (seeded.books > 0) logger.info(seeded, 'demo catalog seeded');
    }
    return await startSubgraph<BooksContext>({
      name: 'books',
      schemaPath: new URL('./schema.graphql', import.meta.url),
      resolvers,
      host: config.HOST,
      port: config.BOOKS_PORT,
      environment: config.NODE_ENV,
      edge: config,
      logger,
      verifier,
      createContext: (base) => ({
        ...base,
        catalog,
        listings,
        booksById: new DataLoader<string, Book | null>(async (ids) => {
          const books = new Map((await catalog.findMany(ids)).map((book) => [book.id, book]));
          return ids.map((id) => books.get(id) ?? null);
        }),
        listingsById: new DataLoader<string, Listing | null>(async (ids) => {
          const found = new Map((await listings.findMany(ids)).map((listing) => [listing.id, listing]));
          return ids.map((id) => found.get(id) ?? null);
        }),
        authorsByBookId: new DataLoader<string, Author[]>(async (ids) => {
          const authors = await catalog.authorsOf(ids);
          return ids.map((id) => authors.get(id) ?? []);
        }),
      }),
      checkReadiness: async () => {
        await db.$queryRaw`SELECT 1`;
        return eventReadiness([saga]);
      },
      onShutdown: release,
    });
  } catch (error) {
    await release();
    throw error;
  }
}
