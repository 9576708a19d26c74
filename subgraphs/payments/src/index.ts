import { runSubgraph, type TestHooks } from '@bazaar/bootstrap';
import { loaderByKey, type RunningService, type ServiceModule } from '@bazaar/service';
import DataLoader from 'dataloader';
import { loadPaymentsConfig, type PaymentsConfig } from './config';
import type { PaymentsContext } from './context';
import { Payments, type PaymentHooks } from './domain/payments';
import { registerPaymentHandlers } from './domain/event-handlers';
import { TestModeProvider } from './domain/provider';
import { Reconciler, startReconciler } from './domain/reconciler';
import { Settlement } from './domain/settlement';
import { PrismaClient, type PaymentTransaction, type Prisma } from './generated/prisma/client';
import { resolvers } from './resolvers';

export { loadPaymentsConfig, type PaymentsConfig } from './config';
export { TEST_TOKENS } from './domain/provider';

export const service: ServiceModule<PaymentsConfig> = {
  loadConfig: (env) => loadPaymentsConfig(env),
  start: (config) => startPaymentsService(config),
};

/** Hooks for tests only; production code never passes them. */
export type PaymentsTestHooks = TestHooks & PaymentHooks;

/** The payments subgraph's composition root: config in, running service out. */
export function startPaymentsService(config: PaymentsConfig, testHooks: PaymentsTestHooks = {}): Promise<RunningService> {
  return runSubgraph<PaymentsConfig, PrismaClient, Prisma.TransactionClient, PaymentsContext>({
    name: 'payments',
    schemaPath: new URL('./schema.graphql', import.meta.url),
    resolvers,
    config,
    port: config.PAYMENTS_PORT,
    databaseUrl: config.PAYMENTS_DATABASE_URL,
    prisma: (options) => new PrismaClient(options),
    testHooks,
    compose: ({ db, events, logger, metrics, own }) => {
      const provider = new TestModeProvider(db, { timeoutMs: config.PAYMENTS_PROVIDER_TIMEOUT_MS });
      const settlement = new Settlement(provider, events.outbox);
      const payments = new Payments(db, provider, events.outbox, {
        leaseMs: config.PAYMENTS_IDEMPOTENCY_LEASE_MS,
        orderWaitMs: config.PAYMENTS_ORDER_WAIT_MS,
        outcomeWaitMs: config.PAYMENTS_OUTCOME_WAIT_MS,
        hooks: testHooks.afterProviderCall ? { afterProviderCall: testHooks.afterProviderCall } : {},
      });
      const reconciler = new Reconciler(db, payments, settlement, { leaseMs: config.PAYMENTS_IDEMPOTENCY_LEASE_MS });
      own(startReconciler(reconciler, { intervalMs: config.PAYMENTS_RECONCILE_INTERVAL_MS, logger, metrics }));
      return {
        handlers: (consumer) => registerPaymentHandlers(consumer, settlement),
        context: (base) => ({
          ...base,
          payments,
          paymentByOrder: loaderByKey((orderIds) => payments.shownForOrders(orderIds), null),
          transactionsByPayment: new DataLoader<string, PaymentTransaction[]>(async (paymentIds) => {
            const all = await payments.transactionsOf(paymentIds);
            return paymentIds.map((id) => all.filter((transaction) => transaction.paymentId === id));
          }),
        }),
      };
    },
  });
}
