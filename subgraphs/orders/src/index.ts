import DataLoader from 'dataloader';
import { EventConsumer, startEventBackbone, eventReadiness } from '@bazaar/events';
import { createLogger, TRANSACTION_LIMITS, tokenVerifierFromConfig, startSubgraph, type RunningService, type ServiceModule, postgresAdapter } from '@bazaar/service';
import { loadOrdersConfig, type OrdersConfig } from './config';
import { Orders } from './domain/orders';
import { registerSagaHandlers } from './domain/saga';
import { startExpirySweep } from './domain/expiry';
import { PrismaClient, type Prisma } from './generated/prisma/client';
import { resolvers } from './resolvers';
import type { OrdersContext } from './context';
import type { OrderRecord } from './domain/types';

export { loadOrdersConfig, type OrdersConfig } from './config';

export const service: ServiceModule<OrdersConfig> = {
  loadConfig: (env) => loadOrdersConfig(env),
  start: (config) => startOrdersService(config),
};

/** The orders subgraph's composition root: config in, running service out. */
export async function startOrdersService(config: OrdersConfig): Promise<RunningService> {
  const logger = createLogger({ service: 'orders', level: config.LOG_LEVEL });
  const db = new PrismaClient({ adapter: postgresAdapter(config.ORDERS_DATABASE_URL), transactionOptions: TRANSACTION_LIMITS });
  const events = await startEventBackbone({ service: 'orders', databaseUrl: config.ORDERS_DATABASE_URL, config, logger });
  const consumer = registerSagaHandlers(
    new EventConsumer<Prisma.TransactionClient>({
      consumer: 'orders',
      transport: events.transport,
      logger,
      transaction: (work) => db.$transaction(work),
    }),
    events.outbox,
    logger,
  );
  const orders = new Orders(db, events.outbox, { paymentTtlSeconds: config.ORDER_PAYMENT_TTL_SECONDS });
  const sweep = startExpirySweep(orders, { intervalMs: config.ORDER_EXPIRY_SWEEP_MS, logger });
  const verifier = tokenVerifierFromConfig(config);
  const release = async () => {
    await sweep.stop();
    await consumer.stop();
    await events.stop();
    await db.$disconnect();
  };

  try {
    await consumer.start();
    return await startSubgraph<OrdersContext>({
      name: 'orders',
      schemaPath: new URL('./schema.graphql', import.meta.url),
      resolvers,
      host: config.HOST,
      port: config.ORDERS_PORT,
      environment: config.NODE_ENV,
      edge: config,
      logger,
      verifier,
      createContext: (base) => ({
        ...base,
        orders,
        ordersById: new DataLoader<string, OrderRecord | null>(async (ids) => {
          const found = new Map((await orders.byIds(ids)).map((order) => [order.id, order]));
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
