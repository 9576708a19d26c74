import { z } from 'zod';
import { baseServiceConfig, loadConfig, port, postgresUrl } from '@bazaar/service';

/** Room for our own writes around the provider call within one lease. */
const LEASE_MARGIN_MS = 1_000;

/** What sellers' earnings depend on: the service and the payout command read the same settings. */
export const earningsConfigShape = {
  /** The marketplace's commission on each seller's part of a paid order, in basis points (1000 = 10 %); rounding in docs/payouts.md. */
  MARKETPLACE_COMMISSION_BPS: z.coerce.number().int().min(0).max(10_000).default(1_000),
  /** How long a seller's earnings stay pending after the order was delivered (returns window); fractions allowed, 0 releases at once. */
  PAYOUT_HOLD_DAYS: z.coerce.number().min(0).max(365).default(7),
};

const paymentsConfigSchema = baseServiceConfig
  .extend({
    PAYMENTS_PORT: port(4007),
    PAYMENTS_DATABASE_URL: postgresUrl,
    /** Demo sellers' ledger history, balances and payouts (development only; see docs/payouts.md). */
    SEED_DEMO_DATA: z.enum(['true', 'false']).default('false').transform((value) => value === 'true'),
    /** The payment provider. Only the test-mode provider exists so far (documented test tokens, no real money). */
    PAYMENTS_PROVIDER: z.enum(['test']).default('test'),
    /** How long a provider call may take before it counts as timed out (the test provider's `tok_timeout` takes this long). */
    PAYMENTS_PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(0).default(5_000),
    /**
     * How long a payOrder request holds its idempotency key. A request that died mid-way (crash) leaves
     * the key held; after this a retry, or the reconciler, takes over and finishes it. At least the
     * provider's timeout plus LEASE_MARGIN_MS (checked at start), so no take-over runs beside a live call.
     */
    PAYMENTS_IDEMPOTENCY_LEASE_MS: z.coerce.number().int().min(100).default(30_000),
    /** How long payOrder waits for an order it has not heard of yet (the order shows AWAITING_PAYMENT slightly earlier). */
    PAYMENTS_ORDER_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(10_000),
    /** How long payOrder waits for orders to accept an authorised payment before answering AUTHORIZED. */
    PAYMENTS_OUTCOME_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(10_000),
    /** How often the reconciler looks for payments left behind (stuck PENDING, money held for orders not payable, duplicates). */
    PAYMENTS_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
    ...earningsConfigShape,
    /** How often earnings past their holding period are made available. */
    PAYOUT_RELEASE_INTERVAL_MS: z.coerce.number().int().min(100).max(86_400_000).default(60_000),
  })
  .refine((config) => config.PAYMENTS_IDEMPOTENCY_LEASE_MS >= config.PAYMENTS_PROVIDER_TIMEOUT_MS + LEASE_MARGIN_MS, {
    path: ['PAYMENTS_IDEMPOTENCY_LEASE_MS'],
    message: `must be at least PAYMENTS_PROVIDER_TIMEOUT_MS + ${LEASE_MARGIN_MS} ms, so a lease never runs out during a provider call`,
  });

export type PaymentsConfig = z.infer<typeof paymentsConfigSchema>;

export const loadPaymentsConfig = (env: Record<string, string | undefined> = process.env) => loadConfig(paymentsConfigSchema, env);

/** The earnings' settings from the typed config (the service and the payout command). */
export const earningsSettings = (config: { MARKETPLACE_COMMISSION_BPS: number; PAYOUT_HOLD_DAYS: number }) => ({
  commissionBps: config.MARKETPLACE_COMMISSION_BPS,
  holdMs: Math.round(config.PAYOUT_HOLD_DAYS * 86_400_000),
});
