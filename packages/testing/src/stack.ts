import type { JWK } from 'jose';
import { inject } from 'vitest';
import { databaseUrlVariable, ROUTER, routerEnvironment, SUBGRAPHS, subgraphEnvironment, subgraphPortVariable, type Env, type ServiceWiring, type SubgraphDefinition } from '@bazaar/topology';
import {
  createTokenIssuer,
  generateSigningKey,
  type RunningService,
  type ServiceModule,
  type TokenIssuer,
} from '@bazaar/service';
import { GraphQLClient } from './client';
import { createEmptyDatabase, createTestDatabase, type TestDatabase } from './databases';
import './provided';

export interface TestStack {
  /** A client that talks to the router, anonymously until given a token. */
  client: GraphQLClient;
  routerUrl: string;
  services: Record<string, RunningService>;
  databases: Record<string, TestDatabase>;
  /** The Postgres event broker's database (pg-boss), fresh for this stack. */
  eventsDatabase: TestDatabase;
  signingKey: JWK;
  /** Mints tokens with the stack's own key, e.g. already expired ones. */
  tokens: TokenIssuer;
  /** The settings every process of the stack shares (for starting more replicas or routers). */
  baseEnvironment: Record<string, string | undefined>;
  /** The environment a subgraph of this stack runs with (its database, keys, broker...). */
  environment(name: string): Record<string, string | undefined>;
  stop(): Promise<void>;
}

export const TEST_SUBGRAPH_SECRET = 'test-subgraph-signing-secret-0123456789abcdef';

export const TEST_ISSUER = { issuer: 'book-bazaar-users', audience: 'book-bazaar' } as const;

/** How a test stack runs each subgraph: in this process (`inProcess`) or as a process of its own (`asProcesses()`). */
export interface SubgraphStarter {
  /** The port to give a subgraph; 0 lets it take a free one when it listens. */
  port(): Promise<number>;
  start(definition: SubgraphDefinition, env: Env): Promise<RunningService>;
}

/** Each subgraph's composition root started in this process, through its `service` export. */
export const inProcess: SubgraphStarter = {
  port: async () => 0,
  start: (definition, env) => startModule(definition.modulePath, env),
};

/**
 * Starts the named subgraphs (all by default), each on a fresh database of its own, and the real
 * router in front of them, in this process. Everything talks over real HTTP. The subgraphs run in
 * this process too, unless `starter` runs them otherwise (`asProcesses()`, for the crash tests).
 */
export async function startTestStack(options: { subgraphs?: string[]; env?: Record<string, string>; starter?: SubgraphStarter } = {}): Promise<TestStack> {
  const adminUrl = inject('postgresAdminUrl');
  const starter = options.starter ?? inProcess;
  const selected = SUBGRAPHS.filter(({ name }) => !options.subgraphs || options.subgraphs.includes(name));
  const signingKey = await generateSigningKey();
  const databases: Record<string, TestDatabase> = {};
  const services: Record<string, RunningService> = {};
  let router: RunningService | undefined;
  let eventsDatabase: TestDatabase | undefined;

  const stop = async () => {
    await router?.stop();
    await Promise.all(Object.values(services).map((service) => service.stop()));
    await Promise.all([...Object.values(databases), ...(eventsDatabase ? [eventsDatabase] : [])].map((database) => database.drop()));
  };

  try {
    eventsDatabase = await createEmptyDatabase(adminUrl, 'events');
    await Promise.all(selected.map(async ({ name }) => (databases[name] = await createTestDatabase(adminUrl, name))));
    const wiring: ServiceWiring = {
      base: testEnvironment(eventsDatabase.url, options.env),
      signingKey,
      jwksUrl: '',
      databaseUrls: Object.fromEntries(Object.entries(databases).map(([name, database]) => [name, database.url])),
      ports: Object.fromEntries(await Promise.all(selected.map(async ({ name }) => [name, await starter.port()] as const))),
    };
    // Users first: the others verify tokens against the keys it publishes.
    const users = selected.find(({ name }) => name === 'users');
    if (users) {
      services.users = await starter.start(users, subgraphEnvironment(users, wiring));
      wiring.jwksUrl = new URL('/.well-known/jwks.json', services.users.url).toString();
    }
    await Promise.all(
      selected.filter((definition) => definition !== users).map(async (definition) => {
        services[definition.name] = await starter.start(definition, subgraphEnvironment(definition, wiring));
      }),
    );
    const subgraphUrls = Object.fromEntries(Object.entries(services).map(([name, service]) => [name, service.url]));
    router = await startModule(ROUTER.modulePath, routerEnvironment(subgraphUrls, 0, wiring.base));
    return {
      client: new GraphQLClient(router.url),
      routerUrl: router.url,
      services,
      databases,
      eventsDatabase,
      signingKey,
      tokens: await createTokenIssuer({ ...TEST_ISSUER, signingKey, accessTokenTtlSeconds: 900 }),
      baseEnvironment: { ...wiring.base },
      environment: (name) => {
        const definition = selected.find((candidate) => candidate.name === name);
        if (!definition) throw new Error(`the stack runs no subgraph ${name}`);
        return subgraphEnvironment(definition, wiring);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The environment every service of a test stack shares, in-process or not; `env` overrides it. */
export function testEnvironment(eventsDatabaseUrl: string, env: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    HOST: '127.0.0.1',
    EVENT_TRANSPORT: 'postgres',
    EVENTS_DATABASE_URL: eventsDatabaseUrl,
    // Tests wait on events; keep the fallback poll short (LISTEN/NOTIFY is the fast path).
    OUTBOX_POLL_INTERVAL_MS: '200',
    // Every test stack runs as production does: the router signs, the subgraphs check.
    SUBGRAPH_SIGNING_SECRET: TEST_SUBGRAPH_SECRET,
    // Every test signs up from 127.0.0.1; the throttling tests set their own limit.
    SIGNUPS_PER_ADDRESS_PER_HOUR: '1000000',
    GUEST_CARTS_PER_ADDRESS_PER_HOUR: '1000000',
    // A busy test machine must not turn slow requests into REQUEST_TIMEOUT (budget.test.ts sets its own).
    REQUEST_BUDGET_MS: '120000',
    ...env,
  };
}

/**
 * A second instance of one of the stack's subgraphs (e.g. one that counts its SQL statements): on a
 * free port, on the same database and broker, checking the stack's tokens, and without a signing
 * secret, so a test may call it directly; `env` adds to it.
 */
export function secondInstanceEnvironment(stack: TestStack, name: string, env: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    [subgraphPortVariable(name)]: '0',
    [databaseUrlVariable(name)]: stack.databases[name]!.url,
    AUTH_JWKS_URL: new URL('/.well-known/jwks.json', stack.services.users!.url).toString(),
    EVENTS_DATABASE_URL: stack.eventsDatabase.url,
    ...env,
  };
}

/**
 * Starts a composition root in this process through its `service` export, found by the path the
 * topology gives: the harness runs the real services without importing any of them.
 */
async function startModule(modulePath: string, env: Record<string, string | undefined>): Promise<RunningService> {
  const { service } = (await import(modulePath)) as { service: ServiceModule };
  return service.start(service.loadConfig(env));
}
