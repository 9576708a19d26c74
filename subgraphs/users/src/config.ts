import { z } from 'zod';
import { baseServiceConfig, loadConfig, port, postgresUrl } from '@bazaar/service';
import { DEFAULT_THROTTLE_SETTINGS, type ThrottleSettings } from './domain/throttling';

const usersConfigSchema = baseServiceConfig.extend({
  USERS_PORT: port(4001),
  USERS_DATABASE_URL: postgresUrl,
  /** The private Ed25519 signing key as a JWK (JSON) with a `kid`. */
  AUTH_SIGNING_KEY: z.string().min(1),
  /**
   * During a key rotation: a JSON array of the keys signed with before (public JWKs suffice). They are
   * published in the JWKS, so tokens they signed keep working until they expire (docs/auth.md).
   */
  AUTH_PREVIOUS_SIGNING_KEYS: z
    .string()
    .default('[]')
    .transform((value, context) => {
      try {
        return JSON.parse(value) as unknown;
      } catch {
        context.addIssue({ code: 'custom', message: 'must be a JSON array of JWKs' });
        return z.NEVER;
      }
    })
    .pipe(z.array(z.looseObject({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: z.string(), kid: z.string().min(1) }))),
  /** A refresh token presented again this soon after its rotation gets the same successor (two tabs refreshing at once). */
  REFRESH_GRACE_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(900),
  REFRESH_TOKEN_TTL_SECONDS: z.coerce.number().int().min(300).default(30 * 24 * 3600),
  /** Log-in throttling (docs/security.md): wrong passwords per account before delays, lock-out after, for. */
  LOGIN_FREE_FAILURES: z.coerce.number().int().min(0).default(DEFAULT_THROTTLE_SETTINGS.loginFreeFailures),
  LOGIN_LOCKOUT_AFTER: z.coerce.number().int().min(2).default(DEFAULT_THROTTLE_SETTINGS.loginLockoutAfter),
  LOGIN_LOCKOUT_SECONDS: z.coerce.number().int().min(1).default(DEFAULT_THROTTLE_SETTINGS.loginLockoutSeconds),
  LOGIN_DELAY_BASE_SECONDS: z.coerce.number().int().min(1).default(DEFAULT_THROTTLE_SETTINGS.loginDelayBaseSeconds),
  SIGNUPS_PER_ADDRESS_PER_HOUR: z.coerce.number().int().min(1).default(DEFAULT_THROTTLE_SETTINGS.signUpsPerAddressPerHour),
  /** Creates the demo accounts on start; ignored in production. */
  SEED_DEMO_DATA: z.enum(['true', 'false']).default('false').transform((value) => value === 'true'),
});

export type UsersConfig = z.infer<typeof usersConfigSchema>;

export const loadUsersConfig = (env: Record<string, string | undefined> = process.env) =>
  loadConfig(usersConfigSchema, env);

export const throttleSettingsOf = (config: UsersConfig): ThrottleSettings => ({
  ...DEFAULT_THROTTLE_SETTINGS,
  loginFreeFailures: config.LOGIN_FREE_FAILURES,
  loginLockoutAfter: config.LOGIN_LOCKOUT_AFTER,
  loginLockoutSeconds: config.LOGIN_LOCKOUT_SECONDS,
  loginDelayBaseSeconds: config.LOGIN_DELAY_BASE_SECONDS,
  signUpsPerAddressPerHour: config.SIGNUPS_PER_ADDRESS_PER_HOUR,
});
