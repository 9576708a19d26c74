import DataLoader from 'dataloader';
import { startEventBackbone } from '@bazaar/events';
import {
  createLogger,
  createTokenIssuer,
  createTokenVerifier,
  sendJson,
  startSubgraph,
  Throttle,
  TRANSACTION_LIMITS,
  type RunningService,
  type ServiceModule,
  postgresAdapter,
} from '@bazaar/service';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { loadUsersConfig, throttleSettingsOf, type UsersConfig } from './config';
import { createThrottles } from './domain/throttling';
import { Accounts } from './domain/accounts';
import { PrismaClient, type User } from './generated/prisma/client';
import { resolvers } from './resolvers';
import { seedDemoAccounts } from './domain/seed';
import type { UsersContext } from './context';

export { loadUsersConfig, type UsersConfig } from './config';

export const service: ServiceModule<UsersConfig> = {
  loadConfig: (env) => loadUsersConfig(env),
  start: (config) => startUsersService(config),
};

export const JWKS_PATH = '/.well-known/jwks.json';

/** The users subgraph's composition root: config in, running service out. */
export async function startUsersService(config: UsersConfig): Promise<RunningService> {
  const logger = createLogger({ service: 'users', level: config.LOG_LEVEL });
  // A burst of sign-ups hashes passwords while transactions queue for connections: Prisma's 2 s
  // default wait turned that into failed sign-ups (issue #20).
  const db = new PrismaClient({ adapter: postgresAdapter(config.USERS_DATABASE_URL), transactionOptions: TRANSACTION_LIMITS });
  const tokenSettings = { issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE };
  const issuer = await createTokenIssuer({
    ...tokenSettings,
    signingKey: JSON.parse(config.AUTH_SIGNING_KEY) as Record<string, unknown>,
    previousKeys: config.AUTH_PREVIOUS_SIGNING_KEYS,
    accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
  });
  const events = await startEventBackbone({ service: 'users', databaseUrl: config.USERS_DATABASE_URL, config, logger });
  // Throttling counters live in this service's database, seen by every replica.
  const throttlePool = new pg.Pool({ connectionString: config.USERS_DATABASE_URL, max: 4 });
  const throttles = createThrottles(new Throttle(throttlePool), throttleSettingsOf(config));
  const accounts = new Accounts(db, issuer, events.outbox, {
    refreshTokenTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
    refreshGraceSeconds: config.REFRESH_GRACE_SECONDS,
    // Successor refresh tokens are derived with a key of their own, derived from the signing key.
    successorKey: createHash('sha256').update(`refresh-successor:${config.AUTH_SIGNING_KEY}`).digest(),
  }, throttles);
  // The users service trusts its own keys directly; other subgraphs fetch them from JWKS_PATH.
  const verifier = createTokenVerifier({ ...tokenSettings, jwks: issuer.jwks() });

  try {
    if (config.SEED_DEMO_DATA && config.NODE_ENV !== 'production') {
      const created = await seedDemoAccounts(db);
      if (created > 0) logger.info({ created }, 'demo accounts created');
    }
    return await startSubgraph<UsersContext>({
      name: 'users',
      schemaPath: new URL('./schema.graphql', import.meta.url),
      resolvers,
      host: config.HOST,
      port: config.USERS_PORT,
      environment: config.NODE_ENV,
      edge: config,
      logger,
      verifier,
      createContext: (base) => ({
        ...base,
        accounts,
        usersById: new DataLoader<string, User | null>(async (ids) => {
          const users = new Map((await accounts.findMany(ids)).map((user) => [user.id, user]));
          return ids.map((id) => users.get(id) ?? null);
        }),
      }),
      checkReadiness: async () => {
        await db.$queryRaw`SELECT 1`;
      },
      routes: { [JWKS_PATH]: (_request, response) => sendJson(response, 200, issuer.jwks(), { 'cache-control': 'max-age=300' }) },
      onShutdown: async () => {
        await events.stop();
        await throttlePool.end();
        await db.$disconnect();
      },
    });
  } catch (error) {
    await events.stop();
    await throttlePool.end();
    await db.$disconnect();
    throw error;
  }
}
