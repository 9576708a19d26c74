import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { applyMigrations, diffMigrationsToSchema, findFreePort, startEmbeddedPostgres, writeMigration } from '@bazaar/database';
import { databaseUrlVariable, subgraphNamed } from '@bazaar/topology';
import { prepareDatabases } from './stack';

const usage = `Usage:
  npm run db:migrate                                      apply every service's pending migrations
  npm run db:migrate -- --service books                   only that service's, on <SERVICE>_DATABASE_URL (a Kubernetes migration Job)
  npm run db:migration -- --service users --name add_x    write a migration from the schema's changes`;

const log = (line: string) => console.log(`[db] ${line}`);

async function migrate(args: string[]) {
  const { values } = parseArgs({ args, options: { service: { type: 'string' } } });
  if (values.service) return migrateOne(values.service);
  // External databases come from <SERVICE>_DATABASE_URL; the rest live in the embedded Postgres.
  const databases = await prepareDatabases(process.env, log);
  await databases.stop();
  log('all migrations applied.');
}

/** One service's migrations on its configured database; never starts an embedded Postgres. */
async function migrateOne(service: string) {
  const { migrationsDir } = subgraphNamed(service);
  const url = process.env[databaseUrlVariable(service)];
  if (!url) throw new Error(`--service ${service} needs ${databaseUrlVariable(service)}`);
  const { applied } = await applyMigrations({ url, migrationsDir });
  log(`${service}: ${applied.length > 0 ? `applied ${applied.join(', ')}` : 'up to date'}`);
}

/** Diffs against a throwaway Postgres, so it works whether or not the dev stack is running. */
async function createMigration(service: string, name: string) {
  const { prismaSchemaPath, migrationsDir } = subgraphNamed(service);
  const scratch = await mkdtemp(path.join(tmpdir(), 'bazaar-shadow-'));
  await chmod(scratch, 0o755); // the postgres OS user must be able to enter it when we run as root
  const shadow = await startEmbeddedPostgres({ dataDir: path.join(scratch, 'pg'), port: await findFreePort() });
  try {
    const sql = await diffMigrationsToSchema({
      schemaPath: prismaSchemaPath,
      migrationsDir,
      shadowAdminUrl: shadow.adminUrl,
    });
    if (!sql) {
      log(`${service}: the schema matches its migrations; nothing to write.`);
      return;
    }
    const folder = await writeMigration({ migrationsDir, name, sql });
    log(`wrote ${path.relative(process.cwd(), folder)}/migration.sql`);
  } finally {
    await shadow.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === 'migrate') await migrate(rest);
  else if (command === 'migration') {
    const { values } = parseArgs({ args: rest, options: { service: { type: 'string' }, name: { type: 'string' } } });
    if (!values.service || !values.name) throw new Error(usage);
    await createMigration(values.service, values.name);
  } else throw new Error(usage);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
