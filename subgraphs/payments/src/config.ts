import { z } from 'zod';
import { baseServiceConfig, loadConfig, port, postgresUrl } from '@bazaar/service';

export const paymentsConfigSchema = baseServiceConfig.extend({
  PAYMENTS_PORT: port(4007),
  PAYMENTS_DATABASE_URL: postgresUrl,
  /** The payment provider. Only the test-mode provider exists so far (documented test tokens, no real money). */
  PAYMENTS_PROVIDER: z.enum(['test']).default('test'),
  /** How long the test provider takes before `tok_timeout` fails with a timeout. */
  PAYMENTS_PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(0).default(5_000),
  /**
   * How long a payOrder request holds its idempotency key. A request that died mid-way (crash) leaves
   * the key held; after this a retry with the same key takes over and finishes it.
   */
  PAYMENTS_IDEMPOTENCY_LEASE_MS: z.coerce.number().int().min(100).default(30_000),
});

export type PaymentsConfig = z.infer<typeof paymentsConfigSchema>;

export const loadPaymentsConfig = (env: Record<string, string | undefined> = process.env) => loadConfig(paymentsConfigSchema, env);
