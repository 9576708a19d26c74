import { z } from 'zod';
import { queryLimitsConfig } from './limits';
import { signingConfig } from './signing';

/** Thrown at start-up when the environment does not describe a runnable service. */
export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid configuration:\n${issues.map((issue) => `  - ${issue}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses `env` with `schema`, failing fast with every problem named by its variable. */
export function loadConfig<Schema extends z.ZodType>(
  schema: Schema,
  env: Record<string, string | undefined> = process.env,
): z.infer<Schema> {
  const result = schema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
    );
  }
  return result.data;
}

export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

export const environment = z.enum(['development', 'test', 'production']).default('development');

export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');

export const postgresUrl = z
  .string()
  .url()
  .refine((value) => /^postgres(ql)?:\/\//.test(value), 'must be a postgres:// or postgresql:// URL');

/** Settings every subgraph shares; a service extends this with its own. */
export const baseServiceConfig = z.object({
  NODE_ENV: environment,
  LOG_LEVEL: logLevel,
  HOST: z.string().default('127.0.0.1'),
  AUTH_ISSUER: z.string().min(1).default('book-bazaar-users'),
  AUTH_AUDIENCE: z.string().min(1).default('book-bazaar'),
  /** Where the users service publishes its public signing keys. */
  AUTH_JWKS_URL: z.string().url().optional(),
  /** The same keys inline (a JSON Web Key Set), for deployments that distribute them as configuration. */
  AUTH_JWKS: z.string().optional(),
  /** `postgres` (embedded default, pg-boss on EVENTS_DATABASE_URL) or `kafka` (KAFKA_BROKERS). */
  EVENT_TRANSPORT: z.enum(['postgres', 'kafka']).default('postgres'),
  /** Comma-separated host:port list. */
  KAFKA_BROKERS: z.string().optional(),
  /** The database the Postgres transport uses as its broker, shared by all services. */
  EVENTS_DATABASE_URL: postgresUrl.optional(),
  OUTBOX_POLL_INTERVAL_MS: z.coerce.number().int().min(50).default(1000),
  OUTBOX_BATCH_SIZE: z.coerce.number().int().min(1).max(1000).default(100),
  /**
   * Hours published outbox rows and processed-event ids are kept before the retention job deletes
   * them. At least 1: far longer than any redelivery (@bazaar/events REDELIVERY_WINDOW_MS, 135 s),
   * since a duplicate arriving after its id is gone would be applied twice. Default one week.
   */
  EVENT_RETENTION_HOURS: z.coerce.number().int().min(1, 'must be at least 1 hour: longer than any redelivery of an event').default(168),
})
  .extend(queryLimitsConfig.shape)
  .extend(signingConfig.shape);

export type BaseServiceConfig = z.infer<typeof baseServiceConfig>;
