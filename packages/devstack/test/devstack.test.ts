import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, inject, it, vi } from 'vitest';
import { databaseUrlVariable, REPO_ROOT, SUBGRAPHS } from '@bazaar/topology';
import { findFreePort } from '@bazaar/database';
import { createEmptyDatabase, GraphQLClient } from '@bazaar/testing';
import { freePort, freeSubgraphPorts, isAlive, LAUNCHER_PATH, launchStack } from '../src/launch';
import { bundleCacheFolder, cartPidIn, cleanupAfterAll, commandLine, freeStackPorts, pidsIn, scratchFolder } from './launcher-setup';

const launch = (env: Record<string, string>) => launchStack(env);

/**
 * `npm start | tee start.log` in a terminal: the shell, the launcher and tee share a process group,
 * and Ctrl-C signals the whole group at once, tee included, so the launcher's output loses its reader.
 */
function launchInTerminal(env: Record<string, string>, logFile: string) {
  const terminal = spawn('sh', ['-c', `"${process.execPath}" --import tsx "${LAUNCHER_PATH}" | tee "${logFile}" > /dev/null`], {
    env: { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'warn', ...env },
    detached: true,
    stdio: 'ignore',
  });
  const groupExited = new Promise((resolve) => terminal.once('exit', resolve));
  return {
    /** The first match of `pattern` in what tee wrote so far or will write. */
    waitFor: async (pattern: RegExp, timeout = 180_000) =>
      vi.waitFor(
        async () => {
          const text = await readFile(logFile, 'utf8').catch(() => '');
          const match = pattern.exec(text);
          if (!match) throw new Error(`waiting for ${pattern} in:\n${text}`);
          return match;
        },
        { timeout, interval: 250 },
      ),
    pressCtrlC: async () => {
      process.kill(-terminal.pid!, 'SIGINT');
      await groupExited;
    },
    killGroup: () => {
      if (terminal.exitCode === null && terminal.signalCode === null) process.kill(-terminal.pid!, 'SIGKILL');
    },
  };
}

/** The named operation of the README's GraphQL examples, exactly as written there. */
async function readmeOperation(name: string): Promise<string> {
  const readme = await readFile(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.search(new RegExp(`(query|mutation) ${name}\\b`));
  if (start < 0) throw new Error(`README has no operation ${name}`);
  let depth = 0;
  for (let index = readme.indexOf('{', start); index < readme.length; index++) {
    if (readme[index] === '{') depth++;
    if (readme[index] === '}' && --depth === 0) return readme.slice(start, index + 1).replace(/#[^\n]*/g, '');
  }
  throw new Error(`README's ${name} never closes`);
}

/**
 * Right after "ready" on a first start, the README's cart examples work: the demo buyer's cart is
 * already filled, and a demo listing can be added to a cart and to a guest cart.
 */
async function runReadmeCartExamples(client: GraphQLClient): Promise<void> {
  const logIn = await client.data<{ logIn: { session: { accessToken: string } } }>(await readmeOperation('LogIn'));
  const buyer = client.withToken(logIn.logIn.session.accessToken);
  const before = await buyer.data<{ me: { cart: { itemCount: number } } }>(await readmeOperation('MyCart'));
  expect(before.me.cart.itemCount, 'the demo cart is filled at ready').toBeGreaterThan(0);
  const offers = await client.data<{ bookByIsbn: { listings: { edges: { node: { id: string; quantity: number } }[] } } }>(await readmeOperation('Offers'));
  const listing = offers.bookByIsbn.listings.edges.find(({ node }) => node.quantity >= 2)?.node;
  expect(listing, 'the first demo book has a listing of two copies or more').toBeDefined();
  const withListing = (operation: string) => operation.replace('<listing id>', listing!.id);
  const added = await buyer.data<{ addToCart: { cart: { itemCount: number } } }>(withListing(await readmeOperation('AddToCart')));
  expect(added.addToCart.cart.itemCount).toBe(before.me.cart.itemCount + 2);
  const guest = await client.data<{ createGuestCart: { guestCartToken: string } }>(await readmeOperation('GuestCart'));
  const guestAdded = await client.data<{ addToCart: { cart: { itemCount: number } } }>(
    withListing(await readmeOperation('GuestAdd')).replace('<token>', guest.createGuestCart.guestCartToken),
  );
  expect(guestAdded.addToCart.cart.itemCount).toBe(1);
}

/** `npm start`'s output says where the bundles went: `services/<build>/subgraphs/cart/src/main.js`. */
const BUNDLED_CART = (cacheDir: string) => new RegExp(`^\\S+ --enable-source-maps ${cacheDir}/services/[\\w-]+/subgraphs/cart/src/main\\.js$`);

/**
 * Every `npm start` here is the real launcher as a process, as a user's is, and each costs minutes on a
 * busy machine: so the properties share starts. The tests run in order and share one bundle cache
 * (BAZAAR_CACHE_DIR, a folder of this file's own): the first start builds the service bundles, the
 * second reuses them, the third (external databases) rebuilds them after a source changed. Running
 * from TypeScript when building fails is in supervisor.test.ts.
 */
describe('the dev stack (npm start)', () => {
  const cleanup = cleanupAfterAll();
  let cacheDir = '';
  /** The first start's cart command line: which bundle it ran from. */
  let bundledCart: string | undefined;

  // One stack's life: a first start with demo data seeded through a pipe, Ctrl-C, a second start on
  // the kept data, then one of its services killed.
  it('runs the supergraph from bundles it builds once, stops everything on Ctrl-C through a pipe, keeps its data and bundles, and stops the whole stack when a service dies', async () => {
    cacheDir = await bundleCacheFolder(cleanup);
    const dataDir = await scratchFolder('bazaar-devstack-', cleanup);
    const env = { BAZAAR_DATA_DIR: dataDir, BAZAAR_CACHE_DIR: cacheDir, ...(await freeStackPorts()) };
    const email = `persistent-${Date.now()}@example.com`;

    const first = launchInTerminal(env, path.join(dataDir, 'start.log'));
    cleanup.push(async () => first.killGroup());
    const [, routerUrl, firstReady] = await first.waitFor(/Book Bazaar is running: (\S+)\s+\(ready in ([\d.]+ s)\)/, 900_000);
    console.log(`first start (demo data): ready in ${firstReady}`);
    const [startedOutput] = await first.waitFor(/[\s\S]*Press Ctrl-C to stop/);
    expect(startedOutput).toContain('buyer@demo.bookbazaar.dev');
    const [built] = await first.waitFor(/built the service bundles in [\d.]+ s;/);
    console.log(`first start: ${built}`);
    bundledCart = await commandLine(cartPidIn(startedOutput!));
    expect(bundledCart).toMatch(BUNDLED_CART(cacheDir));
    const client = new GraphQLClient(routerUrl!);
    await runReadmeCartExamples(client);
    const signUp = await client.data<{ signUp: { user: { id: string } } }>(
      `mutation($email: String!) { signUp(input: { email: $email, password: "a long password", displayName: "Kept" }) { user { id } } }`,
      { email },
    );
    const [, pidList] = await first.waitFor(/processes: ([\d ,]+)/);
    const pids = pidsIn(pidList!);
    expect(pids.length).toBeGreaterThanOrEqual(3);
    await first.pressCtrlC();
    await vi.waitFor(() => expect(pids.filter(isAlive), 'processes still running after Ctrl-C').toEqual([]), { timeout: 60_000, interval: 200 });
    console.log(`piped Ctrl-C: ${pids.length} processes started, ${pids.filter(isAlive).length} left running`);

    const second = launch(env);
    cleanup.push(async () => void second.child.kill('SIGKILL'));
    const [, secondReady] = await second.waitFor(/Book Bazaar is running: \S+\s+\(ready in ([\d.]+ s)\)/);
    console.log(`start with data kept: ready in ${secondReady}`);
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
    expect(second.output(), 'nothing changed: no build').not.toMatch(/built the service bundles/);
    const cartPid = cartPidIn(second.output());
    expect(await commandLine(cartPid), 'the same bundle as the first start').toBe(bundledCart);
    expect(pidsIn(secondPids!)).toContain(cartPid);
    process.kill(cartPid, 'SIGKILL');
    expect(await second.exited).toBe(1);
    expect(second.output()).toMatch(/cart died \(exit code null\): stopping the whole stack/);
    await vi.waitFor(() => expect(pidsIn(secondPids!).filter(isAlive)).toEqual([]), { timeout: 60_000, interval: 200 });
  }, 1_200_000);

  it('uses external databases when given their URLs, starts no embedded Postgres, and rebuilds the bundles after a source changed', async () => {
    expect(bundledCart, 'the first test built the bundles this one finds changed').toBeDefined();
    // A source edited since the build: its recorded hash no longer matches (the repository's files
    // stay untouched, other tests read them at the same time).
    const buildDir = path.dirname(path.dirname(path.dirname(path.dirname(bundledCart!.split(' ').at(-1)!))));
    const manifestPath = path.join(buildDir, 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { inputs: Record<string, string> };
    expect(Object.keys(manifest.inputs)).toContain('subgraphs/cart/src/index.ts');
    manifest.inputs['subgraphs/cart/src/index.ts'] = 'edited since';
    await writeFile(manifestPath, JSON.stringify(manifest));

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
      BAZAAR_CACHE_DIR: cacheDir,
      ROUTER_PORT: await freePort(),
      ...(await freeSubgraphPorts()),
      ...Object.fromEntries(SUBGRAPHS.map(({ name }, index) => [databaseUrlVariable(name), external[index]!.url])),
      EVENTS_DATABASE_URL: broker.url,
      SEED_DEMO_DATA: 'false',
    });
    cleanup.push(async () => void launcher.child.kill('SIGKILL'));
    const [, routerUrl] = await launcher.waitFor(/Book Bazaar is running: (\S+)/, 600_000);
    const client = new GraphQLClient(routerUrl!);
    await client.data(`mutation { signUp(input: { email: "external@example.com", password: "a long password", displayName: "Ext" }) { user { id } } }`);
    const users = new pg.Pool({ connectionString: external[SUBGRAPHS.findIndex(({ name }) => name === 'users')]!.url });
    try {
      expect((await users.query('SELECT email FROM users')).rows).toEqual([{ email: 'external@example.com' }]);
    } finally {
      await users.end();
    }
    expect(existsSync(path.join(dataDir, 'postgres'))).toBe(false);
    const [, pidList] = await launcher.waitFor(/processes: ([\d ,]+)/);
    expect(launcher.output()).toMatch(/built the service bundles in [\d.]+ s \(subgraphs\/cart\/src\/index\.ts changed\)/);
    const rebuiltCart = await commandLine(cartPidIn(launcher.output()));
    expect(rebuiltCart).toMatch(BUNDLED_CART(cacheDir));
    expect(rebuiltCart).not.toBe(bundledCart);
    launcher.child.kill('SIGINT');
    expect(await launcher.exited).toBe(0);
    expect(pidsIn(pidList!).filter(isAlive)).toEqual([]);
  }, 600_000);

  it('names the port and the variable that moves it when a port is taken', async () => {
    const blocker: Server = createServer();
    const port = await findFreePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    cleanup.push(() => new Promise((resolve) => blocker.close(() => resolve())));
    // Every other port free, so the blocked one is the only clash (a default such as 54320 sits in
    // the ephemeral range and may be held for a moment by a test running beside this one).
    const launcher = launch({
      ...(await freeStackPorts()),
      ROUTER_PORT: String(port),
      BAZAAR_DATA_DIR: path.join(tmpdir(), 'bazaar-never-created'),
    });
    expect(await launcher.exited).toBe(1);
    expect(launcher.output()).toContain(`Port ${port} is already in use`);
    expect(launcher.output()).toContain('ROUTER_PORT');
  });
});
