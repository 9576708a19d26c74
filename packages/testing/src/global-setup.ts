import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { applyMigrations, createDatabase, databaseUrl, findFreePort, startEmbeddedPostgres } from '@bazaar/database';
import { SUBGRAPHS } from '@bazaar/topology';
import { templateDatabase } from './databases';
import './provided';

/**
 * Once per test run: one real Postgres, and per service a template database with its migrations
 * applied, so each test file gets fresh databases by a cheap `CREATE DATABASE … TEMPLATE`.
 */
export default async function setup(project: TestProject) {
  const scratch = await mkdtemp(path.join(tmpdir(), 'bazaar-test-'));
  await chmod(scratch, 0o755); // the postgres OS user must be able to enter it when tests run as root
  const postgres = await startEmbeddedPostgres({ dataDir: path.join(scratch, 'pg'), port: await findFreePort(), maxConnections: 500 });
  try {
    await Promise.all(
      SUBGRAPHS.map(async ({ name, migrationsDir }) => {
        await createDatabase(postgres.adminUrl, templateDatabase(name));
        await applyMigrations({ url: databaseUrl(postgres.adminUrl, templateDatabase(name)), migrationsDir });
      }),
    );
  } catch (error) {
    await postgres.stop();
    throw error;
  }
  project.provide('postgresAdminUrl', postgres.adminUrl);
  return async () => {
    await postgres.stop();
    await rm(scratch, { recursive: true, force: true });
  };
}
