import { inject } from 'vitest';
import { spawnService, stopProcess, waitUntilReady, type ServiceProcess } from '@bazaar/devstack';
import { freePort } from '@bazaar/devstack/launch';
import { loadRouterConfig, startRouter } from '@bazaar/router';
import { SUBGRAPHS, subgraphEnvironment, subgraphUrlVariable, type ServiceWiring, type SubgraphDefinition } from '@bazaar/topology';
import { createTokenIssuer, generateSigningKey, type RunningService } from '@bazaar/service';
import { createEmptyDatabase, createTestDatabase, GraphQLClient, TEST_ISSUER, testEnvironment, type TestDatabase, type TestStack } from '@bazaar/testing';

/**
 * A test stack whose subgraphs run as processes of their own (each subgraph's real `main.ts`, as
 * `npm start` runs them), so a test can SIGKILL one mid-request and start it again on the same port
 * and database. The router runs in the test's process, in front of them. `startTestStack` runs
 * subgraphs in-process, which cannot be killed; this is for the crash tests only.
 */
export interface ProcessStack extends TestStack {
  /** SIGKILLs the subgraph's process (no shutdown hook runs) and waits until it is gone. */
  kill(name: string): Promise<void>;
  /** Starts the subgraph's process again and waits until it is ready. */
  start(name: string): Promise<void>;
}

export async function startProcessStack(options: { subgraphs: string[]; env?: Record<string, string> }): Promise<ProcessStack> {
  const adminUrl = inject('postgresAdminUrl');
  const selected = SUBGRAPHS.filter(({ name }) => options.subgraphs.includes(name));
  const signingKey = await generateSigningKey();
  const databases: Record<string, TestDatabase> = {};
  const processes = new Map<string, ServiceProcess>();
  let router: RunningService | undefined;
  let eventsDatabase: TestDatabase | undefined;

  const stop = async () => {
    await router?.stop();
    await Promise.all([...processes.values()].map((service) => stopProcess(service)));
    await Promise.all([...Object.values(databases), ...(eventsDatabase ? [eventsDatabase] : [])].map((database) => database.drop()));
  };

  try {
    eventsDatabase = await createEmptyDatabase(adminUrl, 'events');
    await Promise.all(selected.map(async ({ name }) => (databases[name] = await createTestDatabase(adminUrl, name))));
    const ports = Object.fromEntries(await Promise.all(selected.map(async ({ name }) => [name, Number(await freePort())] as const)));
    const wiring: ServiceWiring = {
      base: testEnvironment(eventsDatabase.url, options.env),
      signingKey,
      jwksUrl: `http://127.0.0.1:${ports.users}/.well-known/jwks.json`,
      databaseUrls: Object.fromEntries(Object.entries(databases).map(([name, database]) => [name, database.url])),
      ports,
    };
    const definition = (name: string): SubgraphDefinition => {
      const found = selected.find((candidate) => candidate.name === name);
      if (!found) throw new Error(`${name} is not part of this stack`);
      return found;
    };
    const start = async (name: string) => {
      const service = spawnService(name, definition(name).mainPath, subgraphEnvironment(definition(name), wiring));
      processes.set(name, service);
      await waitUntilReady(service, `http://127.0.0.1:${ports[name]}/ready`);
    };
    const kill = async (name: string) => {
      const service = processes.get(name);
      if (!service || service.child.exitCode !== null || service.child.signalCode !== null) return;
      service.quiet = true;
      service.child.kill('SIGKILL');
      await service.exited;
    };
    // Users first: the others fetch its signing keys.
    if (ports.users) await start('users');
    await Promise.all(selected.filter(({ name }) => name !== 'users').map(({ name }) => start(name)));
    router = await startRouter(
      loadRouterConfig({
        ...wiring.base,
        ROUTER_PORT: '0',
        ...Object.fromEntries(selected.map(({ name }) => [subgraphUrlVariable(name), `http://127.0.0.1:${ports[name]}/graphql`])),
      }),
    );
    return {
      client: new GraphQLClient(router.url),
      routerUrl: router.url,
      services: {},
      databases,
      eventsDatabase,
      signingKey,
      tokens: await createTokenIssuer({ ...TEST_ISSUER, signingKey, accessTokenTtlSeconds: 900 }),
      baseEnvironment: { ...wiring.base },
      environment: (name) => subgraphEnvironment(definition(name), wiring),
      stop,
      kill,
      start,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
