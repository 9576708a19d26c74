/*
 * Static checks of the container deployment (docker-compose.yml, Dockerfile, deploy/): no Docker
 * needed. Compose cannot read the topology (supergraph.config.yaml), so the expected services,
 * ports, paths and variables are derived from it here: adding a subgraph to the topology without its
 * compose service, database, role, migration URL or router URL fails here, and so does a port or
 * entry point that differs between the two files.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ALL_TOPICS } from '@bazaar/contracts';
import {
  databaseName,
  databaseRole,
  databaseUrlVariable,
  ROUTER,
  SUBGRAPHS,
  subgraphPortVariable,
  subgraphUrlVariable,
  TOPOLOGY_PATH,
  type SubgraphDefinition,
} from '@bazaar/topology';
import { RUNTIME_ENTRIES } from '../scripts/build-runtime';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const repoPath = (relative: string) => path.join(REPO, relative);
const read = (relative: string) => readFileSync(repoPath(relative), 'utf8');

interface HealthCheck {
  test?: string | string[];
  disable?: boolean;
}
interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string; target?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: HealthCheck;
  ports?: (string | number | { published?: string | number; target?: number })[];
  volumes?: (string | { type?: string; source?: string; target?: string })[];
  restart?: string;
  networks?: string[] | Record<string, unknown>;
  network_mode?: string;
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  networks?: Record<string, { internal?: boolean } | null>;
}

// `merge: true` resolves the `<<: *anchor` keys the file uses, as Compose does.
const compose = parse(read('docker-compose.yml'), { merge: true }) as ComposeFile;
const services = compose.services;

/** Compose interpolation with every variable unset: `${X:-default}` → default, `$$` → `$`. */
function interpolate(value: string): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (match, name, operator, rest) => {
    if (match === '$$') return '$';
    if (operator === ':-' || operator === '-') return rest as string;
    if (operator === ':?' || operator === '?') return `<required ${name as string}>`;
    return '';
  });
}

function environmentOf(service: Service): Record<string, string> {
  const { environment } = service;
  const entries: [string, string][] = Array.isArray(environment)
    ? environment.map((line) => {
        const index = line.indexOf('=');
        return index < 0 ? [line, ''] : [line.slice(0, index), line.slice(index + 1)];
      })
    : Object.entries(environment ?? {}).map(([key, value]) => [key, value === null ? '' : String(value)]);
  return Object.fromEntries(entries.map(([key, value]) => [key, interpolate(value)]));
}

function dependencies(service: Service): Record<string, string> {
  const { depends_on: dependsOn } = service;
  if (!dependsOn) return {};
  if (Array.isArray(dependsOn)) return Object.fromEntries(dependsOn.map((name) => [name, 'service_started']));
  return Object.fromEntries(Object.entries(dependsOn).map(([name, { condition }]) => [name, condition ?? 'service_started']));
}

const words = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : value.trim().split(/\s+/);

const healthcheckText = (service: Service) => words(service.healthcheck?.test).join(' ');

const relative = (absolute: string) => path.relative(REPO, absolute).split(path.sep).join('/');

const service = (name: string): Service => {
  const found = services[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
};

/**
 * The TypeScript source of the compiled `node <entry>.js` a service runs (the runtime image holds
 * scripts/build-runtime.ts's bundles at their sources' paths), or undefined for another command.
 */
function tsxEntry(command: string[]): string | undefined {
  const [node, entry] = command;
  if (node !== 'node' || !entry?.endsWith('.js')) return undefined;
  const source = entry.replace(/\.js$/, '.ts');
  expect(RUNTIME_ENTRIES, `${entry} is compiled into the runtime image`).toContain(source);
  return source;
}

const BACKEND = 'backend';
const EDGE = 'edge';
const networksOf = (definition: Service): string[] =>
  Array.isArray(definition.networks) ? definition.networks : Object.keys(definition.networks ?? {});

const postgresEnv = environmentOf(service('postgres'));
/** BAZAAR_DATABASES: `<database>` (role `<database>_service`) or `<database>:<role>` entries. */
const provisioned = new Map(
  (postgresEnv.BAZAAR_DATABASES ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map((entry) => {
      const [database, role] = entry.split(':') as [string, string | undefined];
      return [database, role ?? `${database}_service`] as const;
    }),
);
const appServices = Object.entries(services).filter(([, definition]) => definition.build !== undefined);

describe.each(SUBGRAPHS.map((definition) => [definition.name, definition] as const))('the %s subgraph in docker-compose.yml', (name, definition: SubgraphDefinition) => {
  it('is a service built from the Dockerfile running its main.ts', () => {
    const subgraph = service(name);
    expect(subgraph.build).toBeDefined();
    expect(tsxEntry(words(subgraph.command))).toBe(relative(definition.mainPath));
  });

  it('listens on 0.0.0.0 on its own port, with Kafka as its event transport', () => {
    const env = environmentOf(service(name));
    expect(env.HOST).toBe('0.0.0.0');
    expect(env[subgraphPortVariable(name)]).toBe(String(definition.defaultPort));
    expect(env.EVENT_TRANSPORT).toBe('kafka');
    expect(env.KAFKA_BROKERS).toBe('kafka:9092');
  });

  it(`reaches its own database as its own role through ${databaseUrlVariable(name)}`, () => {
    const url = new URL(environmentOf(service(name))[databaseUrlVariable(name)] ?? 'missing://');
    expect(url.protocol).toMatch(/^postgres(ql)?:$/);
    expect(url.hostname).toBe('postgres');
    expect(url.port || '5432').toBe('5432');
    expect(url.pathname).toBe(`/${databaseName(name)}`);
    expect(url.username).toBe(databaseRole(name));
    expect(decodeURIComponent(url.password)).toBe(postgresEnv[`${databaseName(name).toUpperCase()}_DB_PASSWORD`]);
    expect(provisioned.get(databaseName(name)), 'its entry in BAZAAR_DATABASES').toBe(databaseRole(name));
  });

  it('has its database URL on the migrate job too', () => {
    expect(environmentOf(service('migrate'))[databaseUrlVariable(name)]).toBe(environmentOf(service(name))[databaseUrlVariable(name)]);
  });

  it('gets its signing key (users) or the JWKS of users (every other subgraph)', () => {
    const env = environmentOf(service(name));
    if (name === 'users') {
      expect(env.AUTH_SIGNING_KEY !== undefined || env.AUTH_SIGNING_KEY_FILE !== undefined).toBe(true);
      if (env.AUTH_SIGNING_KEY_FILE) {
        // the dev-only key file comes from the keys job, through a volume both mount
        const keysCommand = words(service('keys').command);
        expect(keysCommand).toContain(env.AUTH_SIGNING_KEY_FILE);
        const keyDir = path.posix.dirname(env.AUTH_SIGNING_KEY_FILE);
        const volumeAt = (candidate: Service) =>
          (candidate.volumes ?? []).map((volume) => (typeof volume === 'string' ? volume.split(':').slice(0, 2) : [volume.source, volume.target]))
            .find(([, target]) => target === keyDir)?.[0];
        expect(volumeAt(service(name))).toBeDefined();
        expect(volumeAt(service('keys'))).toBe(volumeAt(service(name)));
        expect(dependencies(service(name)).keys).toBe('service_completed_successfully');
      }
    } else {
      const users = SUBGRAPHS.find((candidate) => candidate.name === 'users')!;
      expect(env.AUTH_JWKS_URL).toBe(`http://users:${users.defaultPort}/.well-known/jwks.json`);
      expect(dependencies(service(name)).users).toBe('service_healthy');
    }
  });

  it('is healthy only when /ready answers on its port', () => {
    expect(healthcheckText(service(name))).toContain(`:${definition.defaultPort}/ready`);
  });

  it('starts after Postgres and Kafka are healthy, the topics exist and the migrations ran', () => {
    expect(dependencies(service(name))).toMatchObject({
      postgres: 'service_healthy',
      kafka: 'service_healthy',
      'kafka-init': 'service_completed_successfully',
      migrate: 'service_completed_successfully',
    });
  });

  it('sits only on the internal network, publishes no port, and shares the router\'s signing secret', () => {
    const subgraph = service(name);
    expect(networksOf(subgraph)).toEqual([BACKEND]);
    expect(subgraph.ports ?? []).toEqual([]);
    const secret = environmentOf(subgraph).SUBGRAPH_SIGNING_SECRET;
    expect(secret?.length).toBeGreaterThanOrEqual(32);
    expect(secret).toBe(environmentOf(service('router')).SUBGRAPH_SIGNING_SECRET);
  });

  it(`is reachable by the router through ${subgraphUrlVariable(name)}`, () => {
    const router = service('router');
    expect(environmentOf(router)[subgraphUrlVariable(name)]).toBe(`http://${name}:${definition.defaultPort}/graphql`);
    expect(dependencies(router)[name]).toBe('service_healthy');
  });
});

describe('docker-compose.yml', () => {
  it('keeps the subgraphs, Postgres and Kafka on an internal network that only the router joins from the edge', () => {
    expect(compose.networks?.[BACKEND]?.internal).toBe(true);
    expect(compose.networks?.[EDGE]?.internal ?? false).toBe(false);
    expect(networksOf(service('router')).sort()).toEqual([BACKEND, EDGE].sort());
    for (const [name, definition] of Object.entries(services)) {
      if (name === 'router') continue;
      // Every other service is on the internal network only, or on none at all.
      if (definition.network_mode !== 'none') expect(networksOf(definition), name).toEqual([BACKEND]);
      if (networksOf(definition).includes(BACKEND)) expect(definition.ports ?? [], name).toEqual([]);
    }
  });

  it(`runs no subgraph that ${relative(TOPOLOGY_PATH)} does not list`, () => {
    const known = new Set(SUBGRAPHS.map(({ mainPath }) => relative(mainPath)));
    for (const [name, definition] of appServices) {
      const entry = tsxEntry(words(definition.command));
      if (entry?.startsWith('subgraphs/')) expect(known, `service ${name}`).toContain(entry);
    }
  });

  it('exposes the router on the topology\'s port with its own settings', () => {
    const router = service('router');
    const port = String(ROUTER.defaultPort);
    expect(tsxEntry(words(router.command))).toBe(relative(ROUTER.mainPath));
    const env = environmentOf(router);
    expect(env.HOST).toBe('0.0.0.0');
    expect(env[ROUTER.portVariable]).toBe(port);
    expect((router.ports ?? []).map((published) => interpolate(String(published)))).toContain(`${port}:${port}`);
    expect(healthcheckText(router)).toContain(`:${port}/ready`);
  });

  it('runs the migrations once, with npm run db:migrate from the migrate image, after Postgres is healthy', () => {
    const migrate = service('migrate');
    expect(words(migrate.command)).toEqual(['npm', 'run', 'db:migrate']);
    expect(typeof migrate.build === 'object' && migrate.build.target).toBe('migrate');
    // otherwise db:migrate would start an embedded Postgres for the event broker
    const env = environmentOf(migrate);
    expect(env.EVENT_TRANSPORT === 'kafka' || Boolean(env.EVENTS_DATABASE_URL)).toBe(true);
    expect(migrate.restart).toBe('no');
    expect(dependencies(migrate).postgres).toBe('service_healthy');
  });

  it('provisions the events database for the Postgres transport, and a password for every database', () => {
    expect(provisioned.has('events')).toBe(true);
    for (const database of provisioned.keys()) expect(postgresEnv[`${database.toUpperCase()}_DB_PASSWORD`], database).toBeTruthy();
    for (const { name } of SUBGRAPHS) {
      const eventsUrl = new URL(environmentOf(service(name)).EVENTS_DATABASE_URL ?? 'missing://');
      expect([eventsUrl.hostname, eventsUrl.pathname, eventsUrl.username], name).toEqual(['postgres', '/events', provisioned.get('events')]);
      expect(decodeURIComponent(eventsUrl.password), name).toBe(postgresEnv.EVENTS_DB_PASSWORD);
    }
  });

  it('uses Postgres 17 with the init script mounted into docker-entrypoint-initdb.d', () => {
    const postgres = service('postgres');
    expect(postgres.image).toMatch(/^postgres:17(\b|$)/);
    expect(postgres.volumes).toContain('./deploy/postgres/init.sh:/docker-entrypoint-initdb.d/10-bazaar-databases.sh:ro');
    expect(healthcheckText(postgres)).toContain('pg_isready');
  });

  it('runs Kafka as a single KRaft node without ZooKeeper and without automatic topic creation', () => {
    for (const [name, definition] of Object.entries(services)) {
      expect(`${name} ${definition.image ?? ''}`).not.toMatch(/zookeeper/i);
      expect(Object.keys(environmentOf(definition)).join(' ')).not.toMatch(/ZOOKEEPER/);
    }
    const env = environmentOf(service('kafka'));
    expect(env.KAFKA_PROCESS_ROLES?.split(',').sort()).toEqual(['broker', 'controller']);
    expect(env.KAFKA_CONTROLLER_QUORUM_VOTERS).toBe(`${env.KAFKA_NODE_ID}@kafka:9093`);
    expect(env.KAFKA_ADVERTISED_LISTENERS).toContain('PLAINTEXT://kafka:9092');
    expect(env.CLUSTER_ID).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(env.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
    expect(healthcheckText(service('kafka'))).not.toBe('');
  });

  it('creates every topic of packages/contracts with several partitions before the services start', () => {
    const kafkaInit = service('kafka-init');
    const env = environmentOf(kafkaInit);
    expect(env.BAZAAR_TOPICS?.split(/\s+/).sort()).toEqual([...ALL_TOPICS].sort());
    expect(Number(env.BAZAAR_TOPIC_PARTITIONS)).toBeGreaterThan(1);
    expect(words(kafkaInit.command).join(' ')).toContain('kafka-topics.sh');
    expect(dependencies(kafkaInit).kafka).toBe('service_healthy');
    expect(kafkaInit.restart).toBe('no');
  });

  it('gives every health check a test', () => {
    for (const [name, definition] of Object.entries(services)) {
      if (!definition.healthcheck) continue;
      expect(definition.healthcheck.disable, name).not.toBe(true);
      const test = words(definition.healthcheck.test);
      expect(test.length, name).toBeGreaterThan(1);
      expect(['CMD', 'CMD-SHELL'], name).toContain(test[0]);
    }
  });

  it('depends only on services that exist, healthy ones with a health check, finished ones that run once', () => {
    for (const [name, definition] of Object.entries(services)) {
      for (const [dependency, condition] of Object.entries(dependencies(definition))) {
        expect(services, `${name} → ${dependency}`).toHaveProperty([dependency]);
        expect(['service_healthy', 'service_completed_successfully'], `${name} → ${dependency}`).toContain(condition);
        if (condition === 'service_healthy') expect(service(dependency).healthcheck, `${name} → ${dependency}`).toBeDefined();
        if (condition === 'service_completed_successfully') expect(service(dependency).restart, `${name} → ${dependency}`).toBe('no');
      }
    }
  });

  it('publishes no host port twice and gives every subgraph a port of its own', () => {
    const published = Object.values(services).flatMap((definition) =>
      (definition.ports ?? []).map((port) => {
        if (typeof port === 'object') return String(port.published);
        const parts = interpolate(String(port)).split(':');
        return parts.length === 1 ? parts[0]! : parts[parts.length - 2]!;
      }),
    );
    expect(new Set(published).size).toBe(published.length);
    const ports = [ROUTER.defaultPort, ...SUBGRAPHS.map(({ defaultPort }) => defaultPort)];
    expect(new Set(ports).size).toBe(ports.length);
  });

  it('builds every app service from an existing context and Dockerfile, and mounts only existing files', () => {
    expect(appServices.length).toBeGreaterThan(SUBGRAPHS.length);
    for (const [name, definition] of appServices) {
      const build = typeof definition.build === 'string' ? { context: definition.build } : definition.build!;
      const context = repoPath(build.context ?? '.');
      expect(statSync(context).isDirectory(), name).toBe(true);
      expect(existsSync(path.join(context, build.dockerfile ?? 'Dockerfile')), name).toBe(true);
      if (build.target) expect(read('Dockerfile'), name).toMatch(new RegExp(`^FROM \\S+ AS ${build.target}$`, 'm'));
    }
    for (const definition of Object.values(services)) {
      for (const volume of definition.volumes ?? []) {
        const source = typeof volume === 'string' ? volume.split(':')[0]! : (volume.source ?? '');
        if (source.startsWith('.') || source.startsWith('/')) expect(existsSync(repoPath(source)), source).toBe(true);
        else expect(compose.volumes ?? {}, source).toHaveProperty([source]);
      }
    }
  });

  it("starts every app service with an entry file or npm script that exists", () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    for (const [name, definition] of appServices) {
      const command = words(definition.command);
      const entry = tsxEntry(command);
      if (entry) {
        expect(existsSync(repoPath(entry)), `${name}: ${entry}`).toBe(true);
      } else {
        expect(command.slice(0, 2), name).toEqual(['npm', 'run']);
        const script = scripts[command[2]!];
        expect(script, `${name}: npm run ${command[2]}`).toBeDefined();
        const file = words(script).find((word) => word.endsWith('.ts'));
        expect(file && existsSync(repoPath(file)), `${name}: ${script}`).toBe(true);
      }
    }
  });
});

describe('deploy/postgres/init.sh', () => {
  const script = read('deploy/postgres/init.sh');

  it('creates a login role and a database per entry of BAZAAR_DATABASES, named as npm start names them', () => {
    expect(script).toMatch(/for entry in \$BAZAAR_DATABASES/);
    expect(databaseRole('x')).toBe('x_service');
    expect(databaseName('x')).toBe('x');
    expect(script).toContain('name="${entry%%:*}"');
    expect(script).toContain('role="${name}_service"');
    expect(script).toContain('password_variable="${name^^}_DB_PASSWORD"');
    expect(script).toMatch(/CREATE ROLE %I/);
    expect(script).toMatch(/ALTER ROLE :"role" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'password'/);
    expect(script).toMatch(/CREATE DATABASE %I OWNER %I/);
  });

  it('lets a role connect to its own database only', () => {
    expect(script).toContain('REVOKE CONNECT, TEMPORARY ON DATABASE :"db" FROM PUBLIC');
    expect(script).toContain('GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"role"');
    expect(script).toContain('REVOKE CONNECT ON DATABASE postgres FROM PUBLIC');
    expect(script).toContain('REVOKE CONNECT ON DATABASE template1 FROM PUBLIC');
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const stages = instructions.filter((line) => line.startsWith('FROM '));
  const copies = instructions
    .filter((line) => /^COPY\s/.test(line))
    .map((line) => {
      const parts = line.split(/\s+/).slice(1);
      const from = parts.find((part) => part.startsWith('--from='))?.slice('--from='.length);
      const paths = parts.filter((part) => !part.startsWith('--'));
      return { from, sources: paths.slice(0, -1), destination: paths[paths.length - 1]! };
    });

  it('builds on a maintained Node LTS and runs compiled code as a non-root user in production mode, with a health check', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:(22|24)-slim$/m);
    expect(stages).toEqual(['FROM ${NODE_IMAGE} AS deps', 'FROM deps AS build', 'FROM deps AS migrate', 'FROM ${NODE_IMAGE} AS runtime']);
    const runtime = instructions.slice(instructions.indexOf('FROM ${NODE_IMAGE} AS runtime'));
    expect(runtime.join('\n')).toMatch(/^ENV NODE_ENV=production/m);
    expect(runtime.find((line) => line.startsWith('USER '))).toBe('USER node');
    expect(runtime.find((line) => line.startsWith('HEALTHCHECK '))).toContain('deploy/docker/healthcheck.js');
    // Only the compiled runtime folder and the health check script: no node_modules of the workspace, no sources.
    const runtimeSources = runtime.filter((line) => line.startsWith('COPY ')).flatMap((line) => line.split(/\s+/).slice(1, -1).filter((part) => !part.startsWith('--')));
    expect(runtimeSources).toEqual(['/app/dist/runtime', 'deploy/docker/healthcheck.js']);
    expect(instructions.join('\n')).toMatch(/^RUN npm run build:runtime -- \/app\/dist\/runtime$/m);
    expect(instructions.join('\n')).toMatch(/^RUN npm ci\b/m);
    expect(instructions.join('\n')).toMatch(/^RUN npm run generate$/m);
  });

  it('copies only paths that exist in the repository', () => {
    for (const { from, sources } of copies) {
      for (const source of sources) {
        // from the deps stage: /app/<path>, the repository's files (node_modules is installed there)
        const inRepo = from ? source.replace(/^\/app\//, '') : source;
        if (from && (inRepo === 'node_modules' || inRepo.startsWith('dist/'))) continue;
        expect(existsSync(repoPath(inRepo)), `COPY ${from ? `--from=${from} ` : ''}${source}`).toBe(true);
      }
    }
  });

  it('installs with the manifest of every workspace', () => {
    const { workspaces } = JSON.parse(read('package.json')) as { workspaces: string[] };
    const manifests = workspaces.flatMap((pattern) => {
      if (!pattern.endsWith('/*')) return existsSync(repoPath(`${pattern}/package.json`)) ? [`${pattern}/package.json`] : [];
      const parent = pattern.slice(0, -2);
      return readdirSync(repoPath(parent)).map((child) => `${parent}/${child}/package.json`).filter((file) => existsSync(repoPath(file)));
    });
    expect(manifests.length).toBeGreaterThan(SUBGRAPHS.length);
    const copied = new Set(copies.filter(({ from }) => !from).flatMap(({ sources }) => sources));
    for (const manifest of ['package.json', 'package-lock.json', ...manifests]) expect(copied, manifest).toContain(manifest);
  });

  it('keeps node_modules and generated code out of the build context', () => {
    const ignored = read('.dockerignore').split('\n').map((line) => line.trim());
    expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', '**/src/generated', '.data', '.git']));
  });

  it('starts through an entry point script that exists', () => {
    expect(dockerfile).toContain('ENTRYPOINT ["/bin/sh", "/app/deploy/docker/entrypoint.sh"]');
    expect(existsSync(repoPath('deploy/docker/entrypoint.sh'))).toBe(true);
  });
});

describe('docker-compose.demo.yml (the demo shop)', () => {
  const demo = parse(read('docker-compose.demo.yml')) as { services: Record<string, { environment?: Record<string, string> }> };

  it('only adds settings to services docker-compose.yml defines', () => {
    for (const name of Object.keys(demo.services)) expect(services, name).toHaveProperty([name]);
  });

  it('seeds demo data in every subgraph that has some, and turns the router explorer on', () => {
    for (const { name } of SUBGRAPHS) {
      const env = demo.services[name]?.environment ?? {};
      expect(env.NODE_ENV, name).toBe('development');
      // Services that seed refuse to in production; the others ignore SEED_DEMO_DATA.
      expect(env.SEED_DEMO_DATA, name).toBe('true');
    }
    expect(demo.services.router?.environment?.NODE_ENV).toBe('development');
  });
});

describe('docker-compose.observability.yml', () => {
  const overlay = parse(read('docker-compose.observability.yml'), { merge: true }) as ComposeFile;
  const prometheus = parse(read('deploy/observability/prometheus.yml')) as { scrape_configs: { metrics_path?: string; static_configs: { targets: string[] }[] }[] };
  const monitored = [{ name: 'router', defaultPort: ROUTER.defaultPort }, ...SUBGRAPHS];

  it('sends every service’s traces to Jaeger over OTLP, named after the service', () => {
    for (const { name } of monitored) {
      expect(Object.keys(services), name).toContain(name);
      expect(environmentOf(overlay.services[name]!), name).toMatchObject({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318', OTEL_SERVICE_NAME: name });
    }
    expect(overlay.services.jaeger?.image).toMatch(/^jaegertracing\/all-in-one:\d/);
    expect(networksOf(overlay.services.jaeger!)).toContain(BACKEND);
  });

  it('has Prometheus scrape /metrics of every subgraph and the router on its compose port', () => {
    const targets = prometheus.scrape_configs.flatMap((job) => job.static_configs.flatMap((config) => config.targets));
    expect(targets.sort()).toEqual(monitored.map(({ name, defaultPort }) => `${name}:${defaultPort}`).sort());
    expect(prometheus.scrape_configs.every((job) => (job.metrics_path ?? '/metrics') === '/metrics')).toBe(true);
    expect(networksOf(overlay.services.prometheus!)).toContain(BACKEND);
  });

  it('provisions Grafana from files in the repository: the Prometheus data source and a dashboard on the series the services serve', () => {
    for (const volume of overlay.services.grafana?.volumes ?? []) {
      const source = typeof volume === 'string' ? volume.split(':')[0]! : (volume.source ?? '');
      expect(existsSync(repoPath(source)), source).toBe(true);
    }
    const dashboard = JSON.parse(read('deploy/observability/grafana/dashboards/book-bazaar.json')) as { panels: { title: string; targets?: { expr: string }[] }[] };
    const expressions = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr)).join('\n');
    for (const series of ['bazaar_graphql_requests_total', 'bazaar_events_total', 'bazaar_outbox_backlog', 'bazaar_consumer_lag', 'bazaar_dead_letters']) expect(expressions).toContain(series);
    expect(dashboard.panels.map((panel) => panel.title)).toEqual(expect.arrayContaining(['Checkout funnel', 'Event pipeline']));
  });

  it('publishes the viewers on localhost only, through a network of their own', () => {
    for (const name of ['jaeger', 'prometheus', 'grafana']) {
      const definition = overlay.services[name]!;
      expect(networksOf(definition), name).toContain('monitoring');
      expect(networksOf(definition), name).not.toContain(EDGE);
      for (const port of definition.ports ?? []) expect(interpolate(String(port)), name).toMatch(/^127\.0\.0\.1:/);
    }
    expect(overlay.networks).toHaveProperty('monitoring');
  });
});
