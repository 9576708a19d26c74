/**
 * The stack the reads benchmark measures: `npm start`'s launcher on a throw-away data folder (demo
 * catalog seeded) whose Postgres cluster was prepared beforehand with pg_stat_statements preloaded,
 * so SQL statements can be counted per operation, plus two Hive Gateway processes (deduplication off and on) and
 * our router with its deduplication off, over the same supergraph and the same subgraph processes,
 * and a bare relay (bench/floor.ts) in front of the books subgraph: the most any router that does
 * not share calls could reach on this machine.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort, freeSubgraphPorts, launchStack, type LaunchedStack } from '@bazaar/devstack/launch';
import { startFloorProcess } from '../floor-process';
import { preloadStatementStatistics } from '../statement-statistics';
import { REPO_ROOT, routerEnvironment, SUBGRAPHS, SUPERGRAPH_PATH, subgraphPortVariable } from '@bazaar/topology';

export interface ReadsStack {
  routerUrl: string;
  /** The router as another commit has it (`--baseline <ref>`), on the same subgraphs: before/after. */
  baselineRouterUrl?: string;
  /** This router with its in-flight deduplication off, to compare with Hive Gateway's dedup off like for like. */
  routerDedupOffUrl: string;
  hiveUrls: { dedupOff: string; dedupOn: string };
  subgraphUrls: Record<string, string>;
  /** A bare Node relay (no GraphQL) in front of each subgraph that answers an operation alone. */
  relayUrls: Record<string, string>;
  /** Process id of each measured process: the router, each subgraph, `hive-dedup-off`, `hive-dedup-on`. */
  pids: Record<string, number>;
  /** The secret the router signs subgraph calls with: direct calls to a subgraph sign with it too. */
  signingSecret: string;
  /** A superuser connection to a subgraph's database (pg_stat_statements lives there). */
  admin(database: string): pg.Client;
  stop(): Promise<void>;
}

const READY = /Book Bazaar is running: (\S+)/;

/**
 * `profileDir`: `--cpu-prof` for the gateways the benchmark starts itself (profile written at exit).
 * `stackProfileDir`: every process of the launched stack (subgraphs, router) loads
 * cpu-profile-hook.mjs, whose profiler SIGUSR2 starts and stops, so a profile covers the measured rounds only.
 */
export async function startReadsStack(log: (line: string) => void, options: { baseline?: string; profileDir?: string; stackProfileDir?: string } = {}): Promise<ReadsStack> {
  const nodeFlags = options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [];
  const dataDir = await mkdtemp(path.join(tmpdir(), 'bazaar-bench-reads-'));
  await chmod(dataDir, 0o755); // the postgres OS user must reach it
  const ports = await freeSubgraphPorts();
  const postgresPort = await freePort();
  const signingSecret = randomBytes(32).toString('base64url');
  const profileHook: Record<string, string> = options.stackProfileDir
    ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${fileURLToPath(new URL('../cpu-profile-hook.mjs', import.meta.url))}`.trim(), BAZAAR_CPU_PROFILE_DIR: options.stackProfileDir }
    : {};
  const env = { BAZAAR_DATA_DIR: dataDir, POSTGRES_PORT: postgresPort, ROUTER_PORT: await freePort(), SUBGRAPH_SIGNING_SECRET: signingSecret, ...ports, ...profileHook };
  const admin = (database: string) => new pg.Client(`postgresql://postgres:postgres@127.0.0.1:${postgresPort}/${database}`);
  const gateways: ChildProcess[] = [];
  let stack: LaunchedStack | undefined;
  const stop = async () => {
    for (const gateway of gateways) gateway.kill('SIGTERM');
    if (stack) {
      stack.child.kill('SIGINT');
      await stack.exited;
      stack = undefined;
    }
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await preloadStatementStatistics(path.join(dataDir, 'postgres'), postgresPort);
    log('starting the stack (npm start, demo catalog)…');
    stack = launchStack(env);
    const [, routerUrl] = await stack.waitFor(READY, 900_000);
    const [, services] = await stack.waitFor(/services: (.+)/);
    const pids = Object.fromEntries(services!.trim().split(/\s+/).map((pair) => pair.split('=')).map(([name, pid]) => [name!, Number(pid)]));
    const subgraphUrls = Object.fromEntries(SUBGRAPHS.map(({ name }) => [name, `http://127.0.0.1:${ports[subgraphPortVariable(name)]}/graphql`]));
    for (const { name } of SUBGRAPHS) {
      const client = admin(name);
      await client.connect();
      await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements').finally(() => client.end());
    }
    const supergraph = await supergraphAt(subgraphUrls, dataDir);
    const hiveUrls = { dedupOff: '', dedupOn: '' };
    for (const dedup of [false, true] as const) {
      const port = await freePort();
      const hive = startGateway(HIVE_GATEWAY_PATH, nodeFlags, { SUPERGRAPH_PATH: supergraph, PORT: port, HIVE_DEDUP: String(dedup), SUBGRAPH_SIGNING_SECRET: signingSecret });
      gateways.push(hive);
      await readyLine(hive, /hive gateway ready/);
      pids[dedup ? 'hive-dedup-on' : 'hive-dedup-off'] = hive.pid!;
      hiveUrls[dedup ? 'dedupOn' : 'dedupOff'] = `http://127.0.0.1:${port}/graphql`;
    }
    /** Another router process on the same subgraphs, measured as a target of its own. */
    const startRouter = async (name: string, mainPath: string, settings: Record<string, string> = {}) => {
      const port = await freePort();
      const environment = routerEnvironment(subgraphUrls, Number(port), { NODE_ENV: 'development', LOG_LEVEL: 'warn', SUBGRAPH_SIGNING_SECRET: signingSecret, ...settings });
      const router = startGateway(mainPath, nodeFlags, environment as Record<string, string>);
      gateways.push(router);
      router.stdout!.resume(); // its warnings, if any, are not needed here
      await answersHealth(`http://127.0.0.1:${port}/health`, router, name);
      pids[name] = router.pid!;
      return `http://127.0.0.1:${port}/graphql`;
    };
    const relay = await startFloorProcess('relay', subgraphUrls.books!);
    gateways.push(relay.child);
    pids.relay = relay.child.pid!;
    const routerDedupOffUrl = await startRouter('router-dedup-off', path.join(REPO_ROOT, 'router/src/main.ts'), { SUBGRAPH_DEDUP: 'false' });
    const baselineRouterUrl = options.baseline ? await startRouter('router-baseline', await checkOutRouter(options.baseline)) : undefined;
    return { routerUrl: routerUrl!, baselineRouterUrl, routerDedupOffUrl, hiveUrls, subgraphUrls, relayUrls: { books: relay.url }, pids, signingSecret, admin, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The committed supergraph with each subgraph's URL where this stack runs it. */
async function supergraphAt(subgraphUrls: Record<string, string>, dataDir: string): Promise<string> {
  let sdl = await readFile(SUPERGRAPH_PATH, 'utf8');
  for (const [name, url] of Object.entries(subgraphUrls)) {
    sdl = sdl.replace(new RegExp(`(@join__graph\\(name: "${name}", url: ")[^"]*(")`), `$1${url}$2`);
  }
  const file = path.join(dataDir, 'supergraph.graphql');
  await writeFile(file, sdl);
  return file;
}

const HIVE_GATEWAY_PATH = fileURLToPath(new URL('./hive-gateway.ts', import.meta.url));

/** `nodeFlags`: e.g. `--cpu-prof`, which Node refuses in NODE_OPTIONS; the profile is written at exit. */
function startGateway(mainPath: string, nodeFlags: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [...nodeFlags, '--import', 'tsx', mainPath], {
    env: { ...process.env, NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/**
 * The router's sources at `ref`, in the git-ignored router/.build/, so they resolve the same packages
 * as the router of the working tree (router/node_modules holds some, e.g. the explorer's graphiql),
 * except @bazaar/service, which is taken at `ref` too (its HTTP handling and plugins are half of a
 * request's work at the router). Returns its entry point.
 */
async function checkOutRouter(ref: string): Promise<string> {
  const target = path.join(REPO_ROOT, 'router', '.build', `bench-baseline-${ref.replace(/[^\w.-]/g, '_')}`);
  await rm(target, { recursive: true, force: true });
  await mkdir(target, { recursive: true });
  execFileSync('sh', ['-c', `git archive --format=tar "$0" router/src packages/service | tar -x -C "$1"`, ref, target], { cwd: REPO_ROOT });
  await mkdir(path.join(target, 'node_modules', '@bazaar'), { recursive: true });
  await symlink(path.join(target, 'packages', 'service'), path.join(target, 'node_modules', '@bazaar', 'service'));
  return path.join(target, 'router/src/main.ts');
}

/** Polls `url` until it answers 200 (at log level warn the router says nothing when it is ready). */
async function answersHealth(url: string, child: ChildProcess, name: string): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}) before it was ready`);
    const healthy = await fetch(url).then((response) => response.ok, () => false);
    if (healthy) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function readyLine(child: ChildProcess, pattern: RegExp, name = 'Hive Gateway'): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (pattern.test(output)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before it was ready:\n${output}`)));
  });
}
