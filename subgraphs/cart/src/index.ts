import pg from 'pg';
import { runSubgraph, type TestHooks } from '@bazaar/bootstrap';
import { loaderById, Throttle, type RunningService, type ServiceModule } from '@bazaar/service';
import { loadCartConfig, type CartConfig } from './config';
import type { CartContext } from './context';
import { Carts } from './domain/carts';
import { registerCartHandlers } from './domain/event-handlers';
import { seedDemoCarts } from './domain/seed';
import { PrismaClient, type Prisma } from './generated/prisma/client';
import { resolvers } from './resolvers';

export { loadCartConfig, type CartConfig } from './config';

export const service: ServiceModule<CartConfig> = {
  loadConfig: (env) => loadCartConfig(env),
  start: (config) => startCartService(config),
};

/** The cart subgraph's composition root: config in, running service out. */
export function startCartService(config: CartConfig, testHooks: TestHooks = {}): Promise<RunningService> {
  return runSubgraph<CartConfig, PrismaClient, Prisma.TransactionClient, CartContext>({
    name: 'cart',
    schemaPath: new URL('./schema.graphql', import.meta.url),
    resolvers,
    config,
    port: config.CART_PORT,
    databaseUrl: config.CART_DATABASE_URL,
    prisma: (options) => new PrismaClient(options),
    testHooks,
    compose: ({ db, own, metrics, fillDemoDataFromEvents, reader }) => {
      // Throttling counters live in this service's database, seen by every replica.
      const throttlePool = new pg.Pool({ connectionString: config.CART_DATABASE_URL, max: 2 });
      own({ stop: () => throttlePool.end() });
      const guestCarts = new Throttle(throttlePool, (rule) => metrics.throttledBy(rule)).rate({ name: 'guest_cart_address', points: config.GUEST_CARTS_PER_ADDRESS_PER_HOUR, windowSeconds: 3600 });
      const carts = new Carts(db, guestCarts, reader);
      fillDemoDataFromEvents('carts', () => seedDemoCarts(db));
      return {
        handlers: (consumer) => registerCartHandlers(consumer),
        context: (base) => ({ ...base, carts, listingsById: loaderById((ids) => carts.listings(ids)) }),
      };
    },
  });
}
