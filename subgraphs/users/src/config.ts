import { z } from 'zod';
import { baseServiceConfig, loadConfig, port, postgresUrl } from '@bazaar/service';

export const usersConfigSchema = baseServiceConfig.extend({
  USERS_PORT: port(4001),
  USERS_DATABASE_URL: postgresUrl,
  /** The private Ed25519 signing key as a JWK (JSON) with a `kid`. */
  AUTH_SIGNING_KEY: z.string().min(1),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(900),
  REFRESH_TOKEN_TTL_SECONDS: z.coerce.number().int().min(300).default(30 * 24 * 3600),
  /** Creates the demo accounts on start; ignored in production. */
  SEED_DEMO_DATA: z.enum(['true', 'false']).default('false').transform((value) => value === 'true'),
});

export type UsersConfig = z.infer<typeof usersConfigSchema>;

export const loadUsersConfig = (env: Record<string, string | undefined> = process.env) =>
  loadConfig(usersConfigSchema, env);
