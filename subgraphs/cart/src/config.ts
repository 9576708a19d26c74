import { z } from 'zod';
import { baseServiceConfig, loadConfig, port, postgresUrl } from '@bazaar/service';

const cartConfigSchema = baseServiceConfig.extend({
  CART_PORT: port(4004),
  CART_DATABASE_URL: postgresUrl,
  /** Guest carts one client address may create per hour (docs/security.md). */
  GUEST_CARTS_PER_ADDRESS_PER_HOUR: z.coerce.number().int().min(1).default(30),
  /** Fills the demo users' carts on start; ignored in production. */
  SEED_DEMO_DATA: z.enum(['true', 'false']).default('false').transform((value) => value === 'true'),
});

export type CartConfig = z.infer<typeof cartConfigSchema>;

export const loadCartConfig = (env: Record<string, string | undefined> = process.env) => loadConfig(cartConfigSchema, env);
