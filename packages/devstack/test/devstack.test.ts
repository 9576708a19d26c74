import type { ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { existsSync } from 'node:fs';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { SUBGRAPHS } from '@bazaar/router';
import { databaseUrlVariable } from '../src/environment';
import { findFreePort } from '@bazaar/database';
import { createEmptyDatabase, GraphQLClient } from '@bazaar/testing';
import { freePort, freeSubgraphPorts, isAlive, launchStack } from '../src/launch';

const launch = (env: Record<string, string>) => launchStack(env);

async function stopGracefully(child: ChildProcess, exited: Promise<number | null>) {
  child.kill('SIGINT');
  return exited;
}

describe('the dev stack (npm start)', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('runs the supergraph, keeps its data across restarts and leaves no process behind', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'bazaar-devstack-'));
    await chmod(dataDir, 0o755); // reachable by the postgres OS user, as a checkout normally is
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
    const env = {
      BAZAAR_DATA_DIR: dataDir,
      POSTGRES_PORT: await freePort(),
      ROUTER_PORT: await freePort(),
      ...(await freeSubgraphPorts()),
    };
    const email = `persistent-${Date.now()}@example.com`;

    const first = launch(env);
    const [, routerUrl] = await first.waitFor(/Book Bazaar is running: (\S+)/);
    expect(first.output()).toContain('buyer@demo.bookbazaar.dev');
    const client = new GraphQLClient(routerUrl!);
    const signUp = await client.data<{ signUp: { user: { id: string } } }>(
      `mutation($email: String!) { signUp(input: { email: $email, password: "a long password", displayName: "Kept" }) { user { id } } }`,
      { email },
    );
    const [, pidList] = await first.waitFor(/processes: ([\d ,]+)/);
    const pids = pidList!.split(',').map((pid) => Number(pid.trim()));
    expect(pids.length).toBeGreaterThanOrEqual(3);
    expect(await stopGracefully(first.child, first.exited)).toBe(0);
    expect(pids.filter(isAlive)).toEqual([]);

    const second = launch(env);
    await second.waitFor(/Book Bazaar is running/);
    const logIn = await client.data<{ logIn: { user: { id: string } } }>(
      `mutation($email: String!) { logIn(input: { email: $email, password: "a long password" }) { user { id } } }`,
      { email },
    );
    expect(logIn.logIn.user.id).toBe(signUp.signUp.user.id);
    const demo = await client.data<{ logIn: { user: { roles: string[] } } }>(
      `mutation { logIn(input: { email: "admin@demo.bookbazaar.dev", password: "demo-admin-password" }) { user { roles } } }`,
    );
    expect(demo.logIn.user.roles).toEqual(['BUYER', 'ADMIN']);
    const [, secondPids] = await second.waitFor(/processes: ([\d ,]+)/);
    expect(await stopGracefully(second.child, second.exited)).toBe(0);
    expect(secondPids!.split(',').map((pid) => Number(pid.trim())).filter(isAlive)).toEqual([]);
  }, 180_000);

  it('uses external databases when given their URLs, and starts no embedded Postgres', async () => {
    const adminUrl = inject('postgresAdminUrl');
    const external = await Promise.all(SUBGRAPHS.map(({ name }) => createEmptyDatabase(adminUrl, `external_${name}`)));
    const broker = await createEmptyDatabase(adminUrl, 'external_events');
    cleanup.push(async () => {
      for (const database of [...external, broker]) await database.drop();
    });
    const dataDir = path.join(tmpdir(), `bazaar-external-${Date.now()}`);
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
    const launcher = launch({
      BAZAAR_DATA_DIR: dataDir,
      ROUTER_PORT: await freePort(),
      ...(await freeSubgraphPorts()),
      ...Object.fromEntries(SUBGRAPHS.map(({ name }, index) => [databaseUrlVariable(name), external[index]!.url])),
      EVENTS_DATABASE_URL: broker.url,
      SEED_DEMO_DATA: 'false',
    });
    const [, routerUrl] = await launcher.waitFor(/Book Bazaar is running: (\S+)/);
    const client = new GraphQLClient(routerUrl!);
    await client.data(`mutation { signUp(input: { email: "external@example.com", password: "a long password", displayName: "Ext" }) { user { id } } }`);
    const users = new pg.Pool({ connectionString: external[SUBGRAPHS.findIndex(({ name }) => name === 'users')]!.url });
    try {
      expect((await users.query('SELECT email FROM users')).rows).toEqual([{ email: 'external@example.com' }]);
    } finally {
      await users.end();
    }
    expect(existsSync(path.join(dataDir, 'postgres'))).toBe(false);
    expect(await stopGracefully(launcher.child, launcher.exited)).toBe(0);
  }, 120_000);

  it('names the port and the variable that moves it when a port is taken', async () => {
    const blocker: Server = createServer();
    const port = await findFreePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    cleanup.push(() => new Promise((resolve) => blocker.close(() => resolve())));
    // Every other port free, so the blocked one is the only clash (a default such as 54320 sits in
    // the ephemeral range and may be held for a moment by a test running beside this one).
    const launcher = launch({
      ROUTER_PORT: String(port),
      POSTGRES_PORT: await freePort(),
      ...(await freeSubgraphPorts()),
      BAZAAR_DATA_DIR: path.join(tmpdir(), 'bazaar-never-created'),
    });
    expect(await launcher.exited).toBe(1);
    expect(launcher.output()).toContain(`Port ${port} is already in use`);
    expect(launcher.output()).toContain('ROUTER_PORT');
  });
});
