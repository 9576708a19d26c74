import { z } from 'zod';
import { baseServiceConfig, loadConfig, port, postgresUrl } from '@bazaar/service';

const ordersConfigSchema = baseServiceConfig.extend({
  ORDERS_PORT: port(4006),
  ORDERS_DATABASE_URL: postgresUrl,
  /** How long a placed order can be paid before it expires (tests use 1). */
  ORDER_PAYMENT_TTL_SECONDS: z.coerce.number().int().min(1).max(7 * 24 * 3600).default(900),
  /** How often the service looks for unpaid orders past their expiry. */
  ORDER_EXPIRY_SWEEP_MS: z.coerce.number().int().min(50).max(3_600_000).default(5000),
  /** How long placeOrder(awaitStock: true) waits for the catalog's answer before it answers PENDING. */
  ORDERS_STOCK_WAIT_MS: z.coerce.number().int().min(0).max(30_000).default(3000),
});

export type OrdersConfig = z.infer<typeof ordersConfigSchema>;

export const loadOrdersConfig = (env: Record<string, string | undefined> = process.env) => loadConfig(ordersConfigSchema, env);
