import DataLoader from 'dataloader';
import { EventConsumer, startEventBackbone, eventReadiness } from '@bazaar/events';
import { createLogger, TRANSACTION_LIMITS, tokenVerifierFromConfig, startSubgraph, type RunningService, type ServiceModule, postgresAdapter } from '@bazaar/service';
import { loadPaymentsConfig, type PaymentsConfig } from './config';
import { Payments, type PaymentHooks } from './domain/payments';
import { registerPaymentHandlers } from './domain/projection';
import { TestModeProvider } from './domain/provider';
import { Reconciler, startReconciler } from './domain/reconciler';
import { Settlement } from './domain/settlement';
import { PrismaClient, type Payment, type PaymentTransaction, type Prisma } from './generated/prisma/client';
import { resolvers } from './resolvers';
import type { PaymentsContext } from './context';

export { loadPaymentsConfig, type PaymentsConfig } from './config';
export { TEST_TOKENS } from './domain/provider';

export const service: ServiceModule<PaymentsConfig> = {
  loadConfig: (env) => loadPaymentsConfig(env),
  start: (config) => startPaymentsService(config),
};

/** Hooks for tests only; production code never passes them. */
export interface PaymentsServiceInternals extends PaymentHooks {
  /** false: do not consume events (a second instance that only answers requests). */
  consume?: boolean;
}

/** The payments subgraph's composition root: config in, running service out. */
export async function startPaymentsService(config: PaymentsConfig, internals: PaymentsServiceInternals = {}): Promise<RunningService> {
  const logger = createLogger({ service: 'payments', level: config.LOG_LEVEL });
  const db = new PrismaClient({ adapter: postgresAdapter(config.PAYMENTS_DATABASE_URL), transactionOptions: TRANSACTION_LIMITS });
  const events = await startEventBackbone({ service: 'payments', databaseUrl: config.PAYMENTS_DATABASE_URL, config, logger });
  const provider = new TestModeProvider(db, { timeoutMs: config.PAYMENTS_PROVIDER_TIMEOUT_MS });
  const settlement = new Settlement(provider, events.outbox);
  const consumer = registerPaymentHandlers(
    new EventConsumer<Prisma.TransactionClient>({
      consumer: 'payments',
      transport: events.transport,
      logger,
      transaction: (work) => db.$transaction(work, { timeout: 30_000 }),
    }),
    settlement,
  );
  const hooks: PaymentHooks = internals.afterProviderCall ? { afterProviderCall: internals.afterProviderCall } : {};
  const payments = new Payments(db, provider, events.outbox, {
    leaseMs: config.PAYMENTS_IDEMPOTENCY_LEASE_MS,
    orderWaitMs: config.PAYMENTS_ORDER_WAIT_MS,
    outcomeWaitMs: config.PAYMENTS_OUTCOME_WAIT_MS,
    hooks,
  });
  const reconciler = startReconciler(new Reconciler(db, payments, settlement, { leaseMs: config.PAYMENTS_IDEMPOTENCY_LEASE_MS }), {
    intervalMs: config.PAYMENTS_RECONCILE_INTERVAL_MS,
    logger,
  });
  const verifier = tokenVerifierFromConfig(config);
  const release = async () => {
    await reconciler.stop();
    await consumer.stop();
    await events.stop();
    await db.$disconnect();
  };

  try {
    if (internals.consume !== false) await consumer.start();
    return await startSubgraph<PaymentsContext>({
      name: 'payments',
      schemaPath: new URL('./schema.graphql', import.meta.url),
      resolvers,
      host: config.HOST,
      port: config.PAYMENTS_PORT,
      environment: config.NODE_ENV,
      edge: config,
      logger,
      verifier,
      createContext: (base) => ({
        ...base,
        payments,
        paymentByOrder: new DataLoader<string, Payment | null>(async (orderIds) => {
          const shown = await payments.shownForOrders(orderIds);
          return orderIds.map((id) => shown.get(id) ?? null);
        }),
        transactionsByPayment: new DataLoader<string, PaymentTransaction[]>(async (paymentIds) => {
          const all = await payments.transactionsOf(paymentIds);
          return paymentIds.map((id) => all.filter((transaction) => transaction.paymentId === id));
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
