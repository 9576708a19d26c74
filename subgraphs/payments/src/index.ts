import { runSubgraph, type TestHooks } from '@bazaar/bootstrap';
import { CommitWaits, loaderByKey, startPeriodic, type RunningService, type ServiceModule } from '@bazaar/service';
import DataLoader from 'dataloader';
import { earningsSettings, loadPaymentsConfig, type PaymentsConfig } from './config';
import type { PaymentsContext } from './context';
import { Payments, type PaymentHooks } from './domain/payments';
import { SellerEarnings } from './domain/earnings';
import { registerPaymentHandlers } from './domain/event-handlers';
import { TestModeProvider } from './domain/provider';
import { Payouts } from './domain/payouts';
import { Reconciler, startReconciler } from './domain/reconciler';
import { seedDemoPayouts } from './domain/seed';
import { Settlement } from './domain/settlement';
import { Statements } from './domain/statements';
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
    compose: ({ db, events, logger, metrics, own, reader, seedsDemoData, sql, transactions }) => {
      const provider = new TestModeProvider(db, { sql, transactions }, { timeoutMs: config.PAYMENTS_PROVIDER_TIMEOUT_MS });
      const outcomes = new CommitWaits();
      const settlement = new Settlement(provider, events.outbox, outcomes);
      const payments = new Payments(db, reader, { sql, transactions }, provider, events.outbox, outcomes, {
        leaseMs: config.PAYMENTS_IDEMPOTENCY_LEASE_MS,
        orderWaitMs: config.PAYMENTS_ORDER_WAIT_MS,
        outcomeWaitMs: config.PAYMENTS_OUTCOME_WAIT_MS,
        hooks: testHooks.afterProviderCall ? { afterProviderCall: testHooks.afterProviderCall } : {},
      });
      const reconciler = new Reconciler(db, payments, settlement, { leaseMs: config.PAYMENTS_IDEMPOTENCY_LEASE_MS });
      own(startReconciler(reconciler, { intervalMs: config.PAYMENTS_RECONCILE_INTERVAL_MS, logger, metrics }));
      const earnings = new SellerEarnings(db, earningsSettings(config));
      const payouts = new Payouts(db, earnings, events.outbox);
      const statements = new Statements(db);
      own(startPeriodic(async () => void (await earnings.releaseDue()), {
        intervalMs: config.PAYOUT_RELEASE_INTERVAL_MS,
        onError: (error) => logger.error({ err: error }, 'releasing sellers\' earnings failed'),
      }));
      return {
        handlers: (consumer) => registerPaymentHandlers(consumer, settlement, earnings),
        prepare: async () => {
          if (!seedsDemoData) return;
          // Demo data is a convenience: failing to book it must never keep the service from starting.
          await seedDemoPayouts(db, earnings, payouts).then(
            (seeded) => seeded.sales > 0 && logger.info(seeded, 'demo sellers\' ledger seeded'),
            (error: unknown) => logger.warn({ err: error }, 'demo sellers\' ledger not seeded'),
          );
        },
        context: (base) => ({
          ...base,
          payments,
          statements,
          payouts,
          payoutById: loaderByKey((ids) => statements.payoutsByIds(ids), null),
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
