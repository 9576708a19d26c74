import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findFreePort, resolveDataDir, startEmbeddedPostgres, type EmbeddedPostgres } from '../src/index';
import { query } from './helpers';

const isRoot = process.getuid?.() === 0;
// mkdtemp creates mode 700 folders, which the `postgres` OS user could not enter.
const baseDir = mkdtempSync(path.join(tmpdir(), 'bazaar-embedded-test-'));
chmodSync(baseDir, 0o755);
const cleanups: (() => Promise<void> | void)[] = [() => rmSync(baseDir, { recursive: true, force: true })];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function track(server: EmbeddedPostgres): EmbeddedPostgres {
  cleanups.push(() => server.stop());
  return server;
}

describe('startEmbeddedPostgres', () => {
  const dataDir = resolveDataDir(path.join(baseDir, 'nested', 'pg')).dir;

  it('initialises a cluster, and a restart keeps its data', async () => {
    const port = await findFreePort();
    const first = track(await startEmbeddedPostgres({ dataDir, port }));
    expect(first.adminUrl).toBe(`postgresql://postgres:postgres@127.0.0.1:${port}/postgres`);
    expect(existsSync(path.join(dataDir, 'PG_VERSION'))).toBe(true);
    await query(first.adminUrl, 'CREATE TABLE kept (value text)');
    await query(first.adminUrl, "INSERT INTO kept VALUES ('survives restarts')");
    expect(await query(first.adminUrl, 'SHOW listen_addresses')).toEqual([{ listen_addresses: '127.0.0.1' }]);
    await first.stop();
    expect(existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(false);

    const second = track(await startEmbeddedPostgres({ dataDir, port: await findFreePort() }));
    expect(await query(second.adminUrl, 'SELECT value FROM kept')).toEqual([{ value: 'survives restarts' }]);
    await second.stop();
    await second.stop();
  });

  it('fails with the server log when the port is taken, leaving no server behind', async () => {
    const port = await findFreePort();
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

    await expect(startEmbeddedPostgres({ dataDir, port })).rejects.toThrow(/Postgres did not start[\s\S]*could not (bind|create)/);
    expect(existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(false);
  });
});

describe('resolveDataDir', () => {
  it('keeps a folder the server can reach', () => {
    const preferred = path.join(baseDir, 'reachable', 'pg');
    expect(resolveDataDir(preferred)).toEqual({ dir: preferred, fellBack: false });
  });

  it.skipIf(!isRoot)('falls back to a stable temp folder when a parent is mode 700 (as root)', () => {
    const locked = path.join(baseDir, 'locked');
    mkdirSync(locked, { mode: 0o700 });
    const preferred = path.join(locked, 'checkout', '.data', 'pg');

    const resolved = resolveDataDir(preferred);
    expect(resolved.fellBack).toBe(true);
    expect(resolved.reason).toContain(preferred);
    expect(path.dirname(resolved.dir)).toBe(tmpdir());
    expect(path.basename(resolved.dir)).toMatch(/^book-bazaar-pg-[0-9a-f]{12}$/);
    expect(resolveDataDir(preferred)).toEqual(resolved);
    expect(resolveDataDir(path.join(locked, 'other')).dir).not.toBe(resolved.dir);
  });
});
