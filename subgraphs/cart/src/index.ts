import DataLoader from 'dataloader';
import { EventConsumer, startEventBackbone, eventReadiness } from '@bazaar/events';
import pg from 'pg';
import {
  createLogger,
  TRANSACTION_LIMITS,
  retryForAWhile,
  Throttle,
  tokenVerifierFromConfig,
  startSubgraph,
  type RunningService,
  type ServiceModule,
  postgresAdapter,
} from '@bazaar/service';
import { loadCartConfig, type CartConfig } from './config';
import { Carts } from './domain/carts';
import { registerCartHandlers } from './domain/projection';
import { seedDemoCarts } from './domain/seed';
import { PrismaClient, type ListingProjection, type Prisma } from './generated/prisma/client';
import { resolvers } from './resolvers';
import type { CartContext } from './context';

export { loadCartConfig, type CartConfig } from './config';

export const service: ServiceModule<CartConfig> = {
  loadConfig: (env) => loadCartConfig(env),
  start: (config) => startCartService(config),
};

/** Hooks for tests only; production code never passes them. */
export interface CartServiceInternals {
  /** Called with every SQL statement Prisma sends (the batching test counts them). */
  onQuery?: (sql: string) => void;
  /** false: do not consume events (a second instance that only answers queries). */
  consume?: boolean;
}

/** Builds a Prisma client for the cart database (query events on when someone listens). */
export function createCartDb(databaseUrl: string, onQuery?: (sql: string) => void): PrismaClient {
  if (!onQuery) return new PrismaClient({ adapter: postgresAdapter(databaseUrl), transactionOptions: TRANSACTION_LIMITS });
  const db = new PrismaClient({ adapter: postgresAdapter(databaseUrl), transactionOptions: TRANSACTION_LIMITS, log: [{ emit: 'event', level: 'query' }] });
  db.$on('query', (event) => onQuery(event.query));
  return db;
}

/** The cart subgraph's composition root: config in, running service out. */
export async function startCartService(config: CartConfig, internals: CartServiceInternals = {}): Promise<RunningService> {
  const logger = createLogger({ service: 'cart', level: config.LOG_LEVEL });
  const db = createCartDb(config.CART_DATABASE_URL, internals.onQuery);
  const events = await startEventBackbone({ service: 'cart', databaseUrl: config.CART_DATABASE_URL, config, logger });
  const consumer = registerCartHandlers(
    new EventConsumer<Prisma.TransactionClient>({
      consumer: 'cart',
      transport: events.transport,
      logger,
      transaction: (work) => db.$transaction(work),
    }),
  );
  // Throttling counters live in this service's database, seen by every replica.
  const throttlePool = new pg.Pool({ connectionString: config.CART_DATABASE_URL, max: 2 });
  const guestCarts = new Throttle(throttlePool).rate({ name: 'guest_cart_address', points: config.GUEST_CARTS_PER_ADDRESS_PER_HOUR, windowSeconds: 3600 });
  const carts = new Carts(db, guestCarts);
  const verifier = tokenVerifierFromConfig(config);
  // Every second: `npm start` waits for the demo shelves before it says ready.
  const demo = retryForAWhile({ intervalMs: 1_000, forMs: 600_000 });
  const release = async () => {
    demo.stop();
    await consumer.stop();
    await events.stop();
    await throttlePool.end();
    await db.$disconnect();
  };

  try {
    if (internals.consume !== false) await consumer.start();
    if (config.SEED_DEMO_DATA && config.NODE_ENV !== 'production') {
      // The projection fills from the catalog's events, possibly after start: try again for a while.
      demo.start(async () => {
        const seeded = await seedDemoCarts(db);
        if (seeded.lines > 0) logger.info(seeded, 'demo carts filled');
      }, (error) => logger.warn({ err: error }, 'demo carts not filled'));
    }
    return await startSubgraph<CartContext>({
      name: 'cart',
      schemaPath: new URL('./schema.graphql', import.meta.url),
      resolvers,
      host: config.HOST,
      port: config.CART_PORT,
      environment: config.NODE_ENV,
      edge: config,
      logger,
      verifier,
      createContext: (base) => ({
        ...base,
        carts,
        listingsById: new DataLoader<string, ListingProjection | null>(async (ids) => {
          const found = new Map((await carts.listings(ids)).map((listing) => [listing.id, listing]));
          return ids.map((id) => found.get(id) ?? null);
        }),
      }),
      checkReadiness: async () => {
        await db.$queryRaw`SELECT 1`;
        return eventReadiness([consumer]);
      },
      onShutdown: release,
    });
  } catch (error) {
    await release();
    throw error;
  }
}
