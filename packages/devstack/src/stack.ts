import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import {
  applyMigrations,
  provisionServiceDatabase,
  resolveDataDir,
  startEmbeddedPostgres,
  type EmbeddedPostgres,
} from '@bazaar/database';
import { SUBGRAPHS, subgraphPortVariable, type SubgraphDefinition } from '@bazaar/router';
import { environment, loadConfig, logLevel, port } from '@bazaar/service';
import {
  databaseName,
  databaseRole,
  databaseUrlVariable,
  routerEnvironment,
  subgraphEnvironment,
  type Env,
  type ServiceWiring,
} from './environment';
import { loadOrCreateRolePasswords, loadOrCreateSigningKey, loadOrCreateSubgraphSecret } from './keys';
import { migrationsDir, REPO_ROOT } from './paths';
import { assertPortsFree, spawnService, stopProcess, waitUntilReady, type ServiceProcess } from './processes';

const HOST = '127.0.0.1';

const stackConfigSchema = z.object({
  NODE_ENV: environment,
  LOG_LEVEL: logLevel,
  BAZAAR_DATA_DIR: z.string().default(path.join(REPO_ROOT, '.data')),
  POSTGRES_PORT: port(54320),
  ROUTER_PORT: port(4000),
  SEED_DEMO_DATA: z.enum(['true', 'false']).optional(),
  EVENT_TRANSPORT: z.enum(['postgres', 'kafka']).default('postgres'),
  EVENTS_DATABASE_URL: z.string().optional(),
  KAFKA_BROKERS: z.string().optional(),
});

/** The embedded event broker (pg-boss) lives in a database of its own, shared by the services. */
const EVENTS_BROKER = { database: 'events', role: 'events_broker' } as const;

export interface DevStack {
  routerUrl: string;
  dataDir: string;
  /** Every process the stack started, Postgres's postmaster included. */
  pids: number[];
  stop(): Promise<void>;
}

/**
 * What `npm start` does: one embedded Postgres with a database and role per service (unless a
 * service is given an external database URL), migrations applied, every subgraph and the router
 * started as processes of their own.
 */
export async function startDevStack(env: Env, log: (line: string) => void): Promise<DevStack> {
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
  let databases: PreparedDatabases | undefined;
  const stop = async () => {
    for (const service of [...started].reverse()) await stopProcess(service);
    await databases?.stop();
  };

  try {
    databases = await prepareDatabases(env, log);
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
    // Users first: every other subgraph verifies tokens with the keys it publishes.
    for (const definition of orderForStart(SUBGRAPHS)) {
      const service = spawnService(definition.name, definition.mainPath, subgraphEnvironment(definition, wiring));
      started.push(service);
      await waitUntilReady(service, `http://${HOST}:${ports[definition.name]}/ready`);
    }
    const router = spawnService('router', path.join(REPO_ROOT, 'router/src/main.ts'), routerEnvironment(SUBGRAPHS, config.ROUTER_PORT, wiring));
    started.push(router);
    await waitUntilReady(router, `http://${HOST}:${config.ROUTER_PORT}/ready`);

    return {
      routerUrl: `http://localhost:${config.ROUTER_PORT}/graphql`,
      dataDir: config.BAZAAR_DATA_DIR,
      pids: [...(postgres ? [postmasterPid(postgres.dataDir)] : []), ...started.map(({ child }) => child.pid!)],
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

const orderForStart = (subgraphs: readonly SubgraphDefinition[]) =>
  [...subgraphs].sort((a, b) => Number(b.name === 'users') - Number(a.name === 'users'));

/** The first line of postmaster.pid is the server's process id. */
const postmasterPid = (dataDir: string) => Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);

const externalDatabaseUrls = (env: Env) =>
  new Map(SUBGRAPHS.flatMap(({ name }) => (env[databaseUrlVariable(name)] ? [[name, env[databaseUrlVariable(name)]!]] : [])));

export interface PreparedDatabases {
  databaseUrls: Record<string, string>;
  /** The Postgres event broker's database, unless events go through Kafka. */
  eventsDatabaseUrl: string | undefined;
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
  try {
    if (needsEmbeddedBroker || SUBGRAPHS.some(({ name }) => !databaseUrls[name])) {
      const resolved = resolveDataDir(path.join(config.BAZAAR_DATA_DIR, 'postgres'));
      if (resolved.fellBack) log(`Postgres data kept in ${resolved.dir}: ${resolved.reason}`);
      postgres = await startEmbeddedPostgres({ dataDir: resolved.dir, port: config.POSTGRES_PORT });
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
      for (const { name } of SUBGRAPHS.filter(({ name }) => !databaseUrls[name])) {
        databaseUrls[name] = await provisionServiceDatabase({
          adminUrl: postgres.adminUrl,
          database: databaseName(name),
          role: databaseRole(name),
          password: passwords[name]!,
        });
      }
    }
    for (const { name } of SUBGRAPHS) {
      const { applied } = await applyMigrations({ url: databaseUrls[name]!, migrationsDir: migrationsDir(name) });
      if (applied.length > 0) log(`${name}: applied ${applied.join(', ')}`);
    }
  } catch (error) {
    await postgres?.stop();
    throw error;
  }
  return { databaseUrls, eventsDatabaseUrl, postgres, stop: async () => postgres?.stop() };
}
