import { z } from 'zod';
import { baseServiceConfig, loadConfig, port, postgresUrl } from '@bazaar/service';

const wishlistConfigSchema = baseServiceConfig.extend({
  WISHLIST_PORT: port(4005),
  WISHLIST_DATABASE_URL: postgresUrl,
  /** Fills the demo users' wishlists on start; ignored in production. */
  SEED_DEMO_DATA: z.enum(['true', 'false']).default('false').transform((value) => value === 'true'),
});

export type WishlistConfig = z.infer<typeof wishlistConfigSchema>;

export const loadWishlistConfig = (env: Record<string, string | undefined> = process.env) => loadConfig(wishlistConfigSchema, env);
