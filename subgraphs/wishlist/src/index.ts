import DataLoader from 'dataloader';
import { EventConsumer, startEventBackbone, eventReadiness } from '@bazaar/events';
import { createLogger, retryForAWhile, tokenVerifierFromConfig, startSubgraph, viewerOrNull, type RunningService, type ServiceModule, postgresAdapter } from '@bazaar/service';
import { loadWishlistConfig, type WishlistConfig } from './config';
import { registerWishlistHandlers } from './domain/projection';
import { seedDemoWishlists } from './domain/seed';
import { Wishlists } from './domain/wishlists';
import { PrismaClient, type Prisma } from './generated/prisma/client';
import { resolvers } from './resolvers';
import type { WishlistContext } from './context';

export { loadWishlistConfig, type WishlistConfig } from './config';

export const service: ServiceModule<WishlistConfig> = {
  loadConfig: (env) => loadWishlistConfig(env),
  start: (config) => startWishlistService(config),
};

/** Hooks for tests only; production code never passes them. */
export interface WishlistServiceInternals {
  /** Called with every SQL statement Prisma sends (the batching test counts them). */
  onQuery?: (sql: string) => void;
  /** false: do not consume events (a second instance that only answers queries). */
  consume?: boolean;
}

/** Builds a Prisma client for the wishlist database (query events on when someone listens). */
export function createWishlistDb(databaseUrl: string, onQuery?: (sql: string) => void): PrismaClient {
  if (!onQuery) return new PrismaClient({ adapter: postgresAdapter(databaseUrl) });
  const db = new PrismaClient({ adapter: postgresAdapter(databaseUrl), log: [{ emit: 'event', level: 'query' }] });
  db.$on('query', (event) => onQuery(event.query));
  return db;
}

/** The wishlist subgraph's composition root: config in, running service out. */
export async function startWishlistService(config: WishlistConfig, internals: WishlistServiceInternals = {}): Promise<RunningService> {
  const logger = createLogger({ service: 'wishlist', level: config.LOG_LEVEL });
  const db = createWishlistDb(config.WISHLIST_DATABASE_URL, internals.onQuery);
  const events = await startEventBackbone({ service: 'wishlist', databaseUrl: config.WISHLIST_DATABASE_URL, config, logger });
  const consumer = registerWishlistHandlers(
    new EventConsumer<Prisma.TransactionClient>({
      consumer: 'wishlist',
      transport: events.transport,
      logger,
      transaction: (work) => db.$transaction(work),
    }),
    events.outbox,
  );
  const wishlists = new Wishlists(db);
  const verifier = tokenVerifierFromConfig(config);
  // Every second: `npm start` waits for the demo shelves before it says ready.
  const demo = retryForAWhile({ intervalMs: 1_000, forMs: 600_000 });
  const release = async () => {
    demo.stop();
    await consumer.stop();
    await events.stop();
    await db.$disconnect();
  };

  try {
    if (internals.consume !== false) await consumer.start();
    if (config.SEED_DEMO_DATA && config.NODE_ENV !== 'production') {
      // The projection fills from the catalog's events, possibly after start: try again for a while.
      demo.start(async () => {
        const seeded = await seedDemoWishlists(db);
        if (seeded.items > 0) logger.info(seeded, 'demo wishlists filled');
      }, (error) => logger.warn({ err: error }, 'demo wishlists not filled'));
    }
    return await startSubgraph<WishlistContext>({
      name: 'wishlist',
      schemaPath: new URL('./schema.graphql', import.meta.url),
      resolvers,
      host: config.HOST,
      port: config.WISHLIST_PORT,
      environment: config.NODE_ENV,
      edge: config,
      logger,
      verifier,
      createContext: (base) => {
        const viewer = viewerOrNull(base.auth);
        return {
          ...base,
          wishlists,
          wishlistCountByBook: new DataLoader<string, number>(async (ids) => {
            const counts = await wishlists.countsByBook(ids);
            return ids.map((id) => counts.get(id) ?? 0);
          }),
          inViewerWishlist: new DataLoader<string, boolean>(async (ids) => {
            if (!viewer) return ids.map(() => false);
            const wished = await wishlists.wishedBy(viewer.id, ids);
            return ids.map((id) => wished.has(id));
          }),
        };
      },
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
