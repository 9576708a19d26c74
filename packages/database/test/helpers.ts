import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { findFreePort, resolveDataDir, startEmbeddedPostgres, type EmbeddedPostgres } from '../src/index';

export interface TestPostgres {
  server: EmbeddedPostgres;
  /** Temp folder holding the cluster (and anything else the test wants to put there). */
  baseDir: string;
  cleanup(): Promise<void>;
}

export async function startTestPostgres(): Promise<TestPostgres> {
  const baseDir = mkdtempSync(path.join(tmpdir(), 'bazaar-db-test-'));
  // mkdtemp creates mode 700 folders, which the `postgres` OS user could not enter.
  chmodSync(baseDir, 0o755);
  const { dir } = resolveDataDir(path.join(baseDir, 'pg'));
  const server = await startEmbeddedPostgres({ dataDir: dir, port: await findFreePort() });
  return {
    server,
    baseDir,
    async cleanup() {
      await server.stop();
      rmSync(baseDir, { recursive: true, force: true });
      if (dir !== path.join(baseDir, 'pg')) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Resolves with the Postgres error code (or message) of a failed connection attempt. */
export async function connectionError(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    await client.end();
    return undefined;
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    return code ?? message;
  }
}
