import { createHash } from 'node:crypto';
import pg from 'pg';
import { runSubgraph } from '@bazaar/bootstrap';
import { createTokenIssuer, createTokenVerifier, loaderById, sendJson, Throttle, type RunningService, type ServiceModule } from '@bazaar/service';
import { loadUsersConfig, throttleSettingsOf, type UsersConfig } from './config';
import type { UsersContext } from './context';
import { Accounts } from './domain/accounts';
import { seedDemoAccounts } from './domain/seed';
import { createThrottles } from './domain/throttling';
import { PrismaClient, type Prisma } from './generated/prisma/client';
import { resolvers } from './resolvers';

export { loadUsersConfig, type UsersConfig } from './config';

export const service: ServiceModule<UsersConfig> = {
  loadConfig: (env) => loadUsersConfig(env),
  start: (config) => startUsersService(config),
};

export const JWKS_PATH = '/.well-known/jwks.json';

/** The users subgraph's composition root: config in, running service out. */
export function startUsersService(config: UsersConfig): Promise<RunningService> {
  return runSubgraph<UsersConfig, PrismaClient, Prisma.TransactionClient, UsersContext>({
    name: 'users',
    schemaPath: new URL('./schema.graphql', import.meta.url),
    resolvers,
    config,
    port: config.USERS_PORT,
    databaseUrl: config.USERS_DATABASE_URL,
    prisma: (options) => new PrismaClient(options),
    compose: async ({ db, events, logger, metrics, seedsDemoData, own, reader }) => {
      const tokenSettings = { issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE };
      const issuer = await createTokenIssuer({
        ...tokenSettings,
        signingKey: JSON.parse(config.AUTH_SIGNING_KEY) as Record<string, unknown>,
        previousKeys: config.AUTH_PREVIOUS_SIGNING_KEYS,
        accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
      });
      // Throttling counters live in this service's database, seen by every replica.
      const throttlePool = new pg.Pool({ connectionString: config.USERS_DATABASE_URL, max: 4 });
      own({ stop: () => throttlePool.end() });
      const accounts = new Accounts(db, issuer, events.outbox, {
        refreshTokenTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
        refreshGraceSeconds: config.REFRESH_GRACE_SECONDS,
        // Successor refresh tokens are derived with a key of their own, derived from the signing key.
        successorKey: createHash('sha256').update(`refresh-successor:${config.AUTH_SIGNING_KEY}`).digest(),
      }, createThrottles(new Throttle(throttlePool, (rule) => metrics.throttledBy(rule)), throttleSettingsOf(config)), reader);
      return {
        // The users service trusts its own keys directly; other subgraphs fetch them from JWKS_PATH.
        verifier: createTokenVerifier({ ...tokenSettings, jwks: issuer.jwks() }),
        routes: { [JWKS_PATH]: (_request, response) => sendJson(response, 200, issuer.jwks(), { 'cache-control': 'max-age=300' }) },
        prepare: async () => {
          if (!seedsDemoData) return;
          const created = await seedDemoAccounts(db);
          if (created > 0) logger.info({ created }, 'demo accounts created');
        },
        context: (base) => ({ ...base, accounts, usersById: loaderById((ids) => accounts.findMany(ids)) }),
      };
    },
  });
}
