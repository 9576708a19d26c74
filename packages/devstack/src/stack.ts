import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { z } from 'zod';
import {
  applyMigrations,
  provisionServiceDatabase,
  resolveDataDir,
  startEmbeddedPostgres,
  type EmbeddedPostgres,
} from '@bazaar/database';
import { environment, loadConfig, logLevel, port } from '@bazaar/service';
import {
  databaseName,
  databaseRole,
  databaseUrlVariable,
  REPO_ROOT,
  ROUTER,
  routerEnvironment,
  SUBGRAPHS,
  subgraphEnvironment,
  subgraphPortVariable,
  type Env,
  type ServiceWiring,
} from '@bazaar/topology';
import { loadOrCreateRolePasswords, loadOrCreateSigningKey, loadOrCreateSubgraphSecret } from './keys';
import { waitForCatchUp } from './catch-up';
import { waitForDemoShopper } from './demo-check';
import { fromTypeScript, prepareServiceBundles } from './service-bundles';
import type { StartSteps } from './start-timings';
import { assertPortsFree, spawnService, stopProcess, waitUntilReady, type ServiceProcess } from './processes';

const HOST = '127.0.0.1';

const stackConfigSchema = z.object({
  NODE_ENV: environment,
  LOG_LEVEL: logLevel,
  BAZAAR_DATA_DIR: z.string().default(path.join(REPO_ROOT, '.data')),
  POSTGRES_PORT: port(54320),
  ROUTER_PORT: port(ROUTER.defaultPort),
  SEED_DEMO_DATA: z.enum(['true', 'false']).optional(),
  EVENT_TRANSPORT: z.enum(['postgres', 'kafka']).default('postgres'),
  EVENTS_DATABASE_URL: z.string().optional(),
  KAFKA_BROKERS: z.string().optional(),
  /** `bundles`: each service runs from an esbuild bundle, built once into BAZAAR_CACHE_DIR (service-bundles.ts). */
  SERVICES_FROM: z.enum(['bundles', 'typescript']).default('bundles'),
  BAZAAR_CACHE_DIR: z.string().default(path.join(REPO_ROOT, 'node_modules', '.cache', 'bazaar')),
});

/** The embedded event broker (pg-boss) lives in a database of its own, shared by the services. */
const EVENTS_BROKER = { database: 'events', role: 'events_broker' } as const;

export interface DevStack {
  routerUrl: string;
  dataDir: string;
  /** Every process the stack started, Postgres's postmaster included. */
  pids: number[];
  /** The services and the router, to watch for one that dies. */
  services: readonly ServiceProcess[];
  /** Resolves with the embedded Postgres's exit code if it stops; undefined with external databases only. */
  postgresExited: Promise<number | null> | undefined;
  /** Services first (in parallel), Postgres last; one line per service. */
  stop(): Promise<void>;
  /** When (Date.now()) each step of the start ended, in order, for `npm start -- --timings`. */
  steps: StartSteps;
}

/**
 * What `npm start` does: one embedded Postgres with a database and role per service (unless a
 * service is given an external database URL), migrations applied, every subgraph and the router
 * started as processes of their own.
 */
export async function startDevStack(env: Env, log: (line: string) => void, signal?: AbortSignal): Promise<DevStack> {
  const config = loadConfig(stackConfigSchema, env);
  const ports = Object.fromEntries(
    SUBGRAPHS.map((definition) => [
      definition.name,
      loadConfig(z.object({ port: port(definition.defaultPort) }), { port: env[subgraphPortVariable(definition.name)] }).port,
    ]),
  );
  const needsEmbeddedPostgres =
    externalDatabaseUrls(env).size < SUBGRAPHS.length || (config.EVENT_TRANSPORT === 'postgres' && !config.EVENTS_DATABASE_URL);
  await assertPortsFree(HOST, [
    ...(needsEmbeddedPostgres ? [{ port: config.POSTGRES_PORT, variable: 'POSTGRES_PORT' }] : []),
    ...SUBGRAPHS.map(({ name }) => ({ port: ports[name]!, variable: subgraphPortVariable(name) })),
    { port: config.ROUTER_PORT, variable: 'ROUTER_PORT' },
  ]);

  const started: ServiceProcess[] = [];
  const steps: StartSteps = [];
  const step = (name: string) => steps.push({ name, at: Date.now() });
  let databases: PreparedDatabases | undefined;
  const stop = async () => {
    const stopOne = async (service: ServiceProcess) => {
      const code = await stopProcess(service);
      log(`${service.name} stopped${code === 0 || code === null ? '' : ` (exit code ${code})`}`);
    };
    // The router first, so no request reaches a subgraph that is going away; then the subgraphs.
    const router = started.filter(({ name }) => name === 'router');
    await Promise.all(router.map(stopOne));
    await Promise.all(started.filter((service) => !router.includes(service)).map(stopOne));
    if (databases?.postgres) {
      await databases.stop();
      log('postgres stopped');
    }
  };

  try {
    // Side by side: esbuild works in a process of its own while Postgres starts and migrations are checked.
    const [prepared, serviceCommand] = await Promise.all([
      prepareDatabases(env, log).then((ready) => (step('databases ready'), ready)),
      (config.SERVICES_FROM === 'bundles'
        ? prepareServiceBundles({ mainPaths: [...SUBGRAPHS.map(({ mainPath }) => mainPath), ROUTER.mainPath], cacheDir: config.BAZAAR_CACHE_DIR, log })
        : Promise.resolve(fromTypeScript)
      ).then((command) => (step(`${config.SERVICES_FROM} ready`), command)),
    ]);
    databases = prepared;
    signal?.throwIfAborted();
    const { databaseUrls, postgres } = databases;

    const wiring: ServiceWiring = {
      base: {
        NODE_ENV: config.NODE_ENV,
        LOG_LEVEL: config.LOG_LEVEL,
        HOST,
        SEED_DEMO_DATA: config.SEED_DEMO_DATA ?? String(config.NODE_ENV === 'development'),
        EVENT_TRANSPORT: config.EVENT_TRANSPORT,
        ...(databases.eventsDatabaseUrl ? { EVENTS_DATABASE_URL: databases.eventsDatabaseUrl } : {}),
        ...(config.KAFKA_BROKERS ? { KAFKA_BROKERS: config.KAFKA_BROKERS } : {}),
        // The router signs every subgraph call with it; subgraphs refuse unsigned ones.
        SUBGRAPH_SIGNING_SECRET: env.SUBGRAPH_SIGNING_SECRET ?? (await loadOrCreateSubgraphSecret(config.BAZAAR_DATA_DIR)),
      },
      signingKey: await loadOrCreateSigningKey(config.BAZAAR_DATA_DIR),
      jwksUrl: `http://${HOST}:${ports.users}/.well-known/jwks.json`,
      databaseUrls,
      ports,
    };
    // All at once: nothing needs another at start (tokens are checked against users' keys on first use).
    const launchedAt = new Date();
    for (const definition of SUBGRAPHS) started.push(spawnService(definition.name, serviceCommand(definition.mainPath), subgraphEnvironment(definition, wiring)));
    const subgraphUrls = Object.fromEntries(SUBGRAPHS.map(({ name }) => [name, `http://${HOST}:${ports[name]}/graphql`]));
    started.push(spawnService('router', serviceCommand(ROUTER.mainPath), routerEnvironment(subgraphUrls, config.ROUTER_PORT, wiring.base)));
    const readyUrl = (name: string) => `http://${HOST}:${name === 'router' ? config.ROUTER_PORT : ports[name]}/ready`;
    await Promise.all(started.map((service) => waitUntilReady(service, readyUrl(service.name), signal)));
    step('every service ready');
    log('every service answers; waiting for the projections to catch up with the events already published');

    if (databases.eventsDatabaseUrl) {
      const catchUpStarted = performance.now();
      const caughtUp = await waitForCatchUp({ eventsDatabaseUrl: databases.eventsDatabaseUrl, databaseUrls, since: launchedAt, log, signal });
      if (!caughtUp.complete) log(`still catching up after 10 minutes: ${JSON.stringify(caughtUp.pending)}`);
      else log(`projections caught up in ${((performance.now() - catchUpStarted) / 1000).toFixed(1)} s`);
      step('projections caught up');
    } else {
      log('events go through Kafka: not waiting for the projections (their progress is Kafka consumer lag)');
    }
    const routerUrl = `http://${HOST}:${config.ROUTER_PORT}/graphql`;
    if (wiring.base.SEED_DEMO_DATA === 'true' && databases.freshCatalog) {
      const filled = await waitForDemoShopper(routerUrl, signal);
      if (!filled) log('the demo carts, wishlists and reviews are still filling');
      step('demo shelves filled');
    }

    return {
      routerUrl: `http://localhost:${config.ROUTER_PORT}/graphql`,
      dataDir: config.BAZAAR_DATA_DIR,
      pids: [...(postgres ? [postmasterPid(postgres.dataDir)] : []), ...started.map(({ child }) => child.pid!)],
      services: started,
      postgresExited: postgres?.exited,
      stop,
      steps,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}


/** The first line of postmaster.pid is the server's process id. */
const postmasterPid = (dataDir: string) => Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);

const externalDatabaseUrls = (env: Env) =>
  new Map(SUBGRAPHS.flatMap(({ name }) => (env[databaseUrlVariable(name)] ? [[name, env[databaseUrlVariable(name)]!]] : [])));

export interface PreparedDatabases {
  databaseUrls: Record<string, string>;
  /** The Postgres event broker's database, unless events go through Kafka. */
  eventsDatabaseUrl: string | undefined;
  /** The books database was created just now (so demo data is being seeded on this start). */
  freshCatalog: boolean;
  postgres: EmbeddedPostgres | undefined;
  stop(): Promise<void>;
}

/**
 * Every service's database, ready to use: external ones as configured, the rest in the embedded
 * Postgres with a database and a role of their own; migrations applied to all.
 */
export async function prepareDatabases(env: Env, log: (line: string) => void): Promise<PreparedDatabases> {
  const config = loadConfig(stackConfigSchema, env);
  const databaseUrls: Record<string, string> = Object.fromEntries(externalDatabaseUrls(env));
  let postgres: EmbeddedPostgres | undefined;
  let eventsDatabaseUrl = config.EVENT_TRANSPORT === 'postgres' ? config.EVENTS_DATABASE_URL : undefined;
  const needsEmbeddedBroker = config.EVENT_TRANSPORT === 'postgres' && !eventsDatabaseUrl;
  let freshCatalog = false;
  try {
    if (needsEmbeddedBroker || SUBGRAPHS.some(({ name }) => !databaseUrls[name])) {
      const resolved = resolveDataDir(path.join(config.BAZAAR_DATA_DIR, 'postgres'));
      if (resolved.fellBack) log(`Postgres data kept in ${resolved.dir}: ${resolved.reason}`);
      postgres = await startEmbeddedPostgres({ dataDir: resolved.dir, port: config.POSTGRES_PORT });
      await commitWithoutWaitingForTheDisk(postgres.adminUrl);
      const passwords = await loadOrCreateRolePasswords(config.BAZAAR_DATA_DIR, [
        ...SUBGRAPHS.map(({ name }) => name),
        EVENTS_BROKER.database,
      ]);
      if (needsEmbeddedBroker) {
        eventsDatabaseUrl = await provisionServiceDatabase({
          adminUrl: postgres.adminUrl,
          ...EVENTS_BROKER,
          password: passwords[EVENTS_BROKER.database]!,
        });
      }
      const adminUrl = postgres.adminUrl;
      await Promise.all(
        SUBGRAPHS.filter(({ name }) => !databaseUrls[name]).map(async ({ name }) => {
          databaseUrls[name] = await provisionServiceDatabase({ adminUrl, database: databaseName(name), role: databaseRole(name), password: passwords[name]! });
        }),
      );
    }
    await Promise.all(
      SUBGRAPHS.map(async ({ name, migrationsDir }) => {
        const { applied } = await applyMigrations({ url: databaseUrls[name]!, migrationsDir });
        if (applied.length > 0) log(`${name}: applied ${applied.join(', ')}`);
        if (name === 'books' && applied.length > 0) freshCatalog = (await countBooks(databaseUrls[name]!)) === 0;
      }),
    );
  } catch (error) {
    await postgres?.stop();
    throw error;
  }
  return { databaseUrls, eventsDatabaseUrl, freshCatalog, postgres, stop: async () => postgres?.stop() };
}

/**
 * Every event hop is a few commits (outbox, broker job, consumer effect, completion), and on a busy
 * disk each waited for its WAL flush. The embedded cluster holds development data only: it commits
 * without waiting (synchronous_commit=off), so a crash of the machine, never of a process, may lose
 * the last fraction of a second of commits, all-or-nothing per transaction.
 */
async function commitWithoutWaitingForTheDisk(adminUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query('ALTER SYSTEM SET synchronous_commit = off');
    await client.query('SELECT pg_reload_conf()');
  } finally {
    await client.end();
  }
}

async function countBooks(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM books')).rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}
