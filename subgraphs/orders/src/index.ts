import { runSubgraph } from '@bazaar/bootstrap';
import { loaderById, type RunningService, type ServiceModule } from '@bazaar/service';
import { loadOrdersConfig, type OrdersConfig } from './config';
import type { OrdersContext } from './context';
import { startExpirySweep } from './domain/expiry';
import { Orders } from './domain/orders';
import { registerSagaHandlers } from './domain/event-handlers';
import { PrismaClient, type Prisma } from './generated/prisma/client';
import { resolvers } from './resolvers';

export { loadOrdersConfig, type OrdersConfig } from './config';

export const service: ServiceModule<OrdersConfig> = {
  loadConfig: (env) => loadOrdersConfig(env),
  start: (config) => startOrdersService(config),
};

/** The orders subgraph's composition root: config in, running service out. */
export function startOrdersService(config: OrdersConfig): Promise<RunningService> {
  return runSubgraph<OrdersConfig, PrismaClient, Prisma.TransactionClient, OrdersContext>({
    name: 'orders',
    schemaPath: new URL('./schema.graphql', import.meta.url),
    resolvers,
    config,
    port: config.ORDERS_PORT,
    databaseUrl: config.ORDERS_DATABASE_URL,
    prisma: (options) => new PrismaClient(options),
    compose: ({ db, events, logger, own, reader, transactions }) => {
      const orders = new Orders(db, reader, transactions, events.outbox, {
        paymentTtlSeconds: config.ORDER_PAYMENT_TTL_SECONDS,
        stockWaitMs: config.ORDERS_STOCK_WAIT_MS,
      });
      own(startExpirySweep(orders, { intervalMs: config.ORDER_EXPIRY_SWEEP_MS, logger }));
      return {
        handlers: (consumer) => registerSagaHandlers(consumer, events.outbox, logger),
        context: (base) => ({ ...base, orders, ordersById: loaderById((ids) => orders.byIds(ids)) }),
      };
    },
  });
}
