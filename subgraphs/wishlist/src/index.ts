import { runSubgraph, type TestHooks } from '@bazaar/bootstrap';
import { loaderByKey, viewerOrNull, type RunningService, type ServiceModule } from '@bazaar/service';
import DataLoader from 'dataloader';
import { loadWishlistConfig, type WishlistConfig } from './config';
import type { WishlistContext } from './context';
import { registerWishlistHandlers } from './domain/event-handlers';
import { seedDemoWishlists } from './domain/seed';
import { Wishlists } from './domain/wishlists';
import { PrismaClient, type Prisma } from './generated/prisma/client';
import { resolvers } from './resolvers';

export { loadWishlistConfig, type WishlistConfig } from './config';

export const service: ServiceModule<WishlistConfig> = {
  loadConfig: (env) => loadWishlistConfig(env),
  start: (config) => startWishlistService(config),
};

/** The wishlist subgraph's composition root: config in, running service out. */
export function startWishlistService(config: WishlistConfig, testHooks: TestHooks = {}): Promise<RunningService> {
  return runSubgraph<WishlistConfig, PrismaClient, Prisma.TransactionClient, WishlistContext>({
    name: 'wishlist',
    schemaPath: new URL('./schema.graphql', import.meta.url),
    resolvers,
    config,
    port: config.WISHLIST_PORT,
    databaseUrl: config.WISHLIST_DATABASE_URL,
    prisma: (options) => new PrismaClient(options),
    testHooks,
    compose: ({ db, events, fillDemoDataFromEvents, reader }) => {
      const wishlists = new Wishlists(db, reader);
      fillDemoDataFromEvents('wishlists', () => seedDemoWishlists(db));
      return {
        handlers: (consumer) => registerWishlistHandlers(consumer, events.outbox),
        context: (base) => {
          const viewer = viewerOrNull(base.auth);
          return {
            ...base,
            wishlists,
            wishlistCountByBook: loaderByKey((ids) => wishlists.countsByBook(ids), 0),
            inViewerWishlist: new DataLoader<string, boolean>(async (ids) => {
              if (!viewer) return ids.map(() => false);
              const wished = await wishlists.wishedBy(viewer.id, ids);
              return ids.map((id) => wished.has(id));
            }),
          };
        },
      };
    },
  });
}
