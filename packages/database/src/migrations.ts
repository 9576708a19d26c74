/*
 * Prisma-format migrations (`<dir>/<YYYYMMDDHHMMSS>_<name>/migration.sql` + `migration_lock.toml`)
 * applied and generated through the WebAssembly schema engine. The folder is read the way the
 * Prisma CLI reads it, so `prisma migrate deploy` works on the same folder wherever the native
 * engine is available.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import type { MigrationList } from '@prisma/schema-engine-wasm';
import { withSchemaEngine } from './engine';

const LOCKFILE = 'migration_lock.toml';
const MIGRATION_FILE = 'migration.sql';
const NO_FILTERS = { externalTables: [], externalEnums: [] };

/** Mirrors the Prisma CLI: every sub-folder is a migration, sorted by name; a missing folder is empty. */
async function readMigrationsList(migrationsDir: string): Promise<MigrationList> {
  const baseDir = path.resolve(migrationsDir);
  const lockContent = await readFile(path.join(baseDir, LOCKFILE), 'utf8').catch(() => null);
  const entries = await readdir(baseDir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  const migrationDirectories: MigrationList['migrationDirectories'] = [];
  for (const entry of entries.filter((e) => e.isDirectory())) {
    const content = await readFile(path.join(baseDir, entry.name, MIGRATION_FILE), 'utf8').then(
      (value) => ({ tag: 'ok' as const, value }),
      (error: Error) => ({ tag: 'error' as const, value: error.message }),
    );
    migrationDirectories.push({ path: entry.name, migrationFile: { path: MIGRATION_FILE, content } });
  }
  migrationDirectories.sort((a, b) => a.path.localeCompare(b.path));
  return {
    baseDir,
    lockfile: { path: LOCKFILE, content: lockContent },
    shadowDbInitScript: '',
    migrationDirectories,
  };
}

export interface ApplyMigrationsOptions {
  url: string;
  migrationsDir: string;
  log?: (msg: string) => void;
}

/** `prisma migrate deploy`: applies pending migrations and records them in `_prisma_migrations`. */
export async function applyMigrations(options: ApplyMigrationsOptions): Promise<{ applied: string[] }> {
  const migrationsList = await readMigrationsList(options.migrationsDir);
  // The usual start finds every migration applied: one query instead of starting the engine.
  if (await allRecordedAsApplied(options.url, migrationsList.migrationDirectories.map(({ path: name }) => name))) return { applied: [] };
  const output = await withSchemaEngine({ url: options.url, log: options.log }, (engine) =>
    engine.applyMigrations({ migrationsList, filters: NO_FILTERS }),
  );
  for (const name of output.appliedMigrationNames) options.log?.(`applied migration ${name}`);
  return { applied: output.appliedMigrationNames };
}

/**
 * Whether `_prisma_migrations` records every one of `names` as finished, and no migration as
 * failed (the engine reports that case). False whenever in doubt, e.g. no such table yet.
 */
async function allRecordedAsApplied(url: string, names: readonly string[]): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  try {
    await client.connect();
    const { rows } = await client.query<{ migration_name: string; finished: boolean }>(
      'SELECT migration_name, finished_at IS NOT NULL AS finished FROM _prisma_migrations WHERE rolled_back_at IS NULL',
    );
    if (rows.some(({ finished }) => !finished)) return false;
    const applied = new Set(rows.map(({ migration_name }) => migration_name));
    return names.every((name) => applied.has(name));
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export interface DiffMigrationsToSchemaOptions {
  schemaPath: string;
  migrationsDir: string;
  /** Superuser URL; a temporary shadow database is created and dropped there. */
  shadowAdminUrl: string;
}

/**
 * The SQL that takes a database from the state the existing migrations produce to the state
 * `schema.prisma` describes; '' when they already agree.
 */
export async function diffMigrationsToSchema(options: DiffMigrationsToSchemaOptions): Promise<string> {
  const schemaPath = path.resolve(options.schemaPath);
  const schema = await readFile(schemaPath, 'utf8');
  const migrationsList = await readMigrationsList(options.migrationsDir);
  const from =
    migrationsList.migrationDirectories.length === 0 ? { tag: 'empty' as const } : { tag: 'migrations' as const, ...migrationsList };

  const result = await withSchemaEngine({ url: options.shadowAdminUrl, shadowAdminUrl: options.shadowAdminUrl }, (engine) =>
    engine.diff({
      from,
      to: { tag: 'schemaDatamodel', files: [{ path: schemaPath, content: schema }] },
      script: true,
      exitCode: null,
      filters: NO_FILTERS,
    }),
  );
  return isEmptyScript(result.stdout ?? '') ? '' : (result.stdout ?? '');
}

/** The engine answers an empty diff with a comment line, not with nothing. */
function isEmptyScript(script: string): boolean {
  return script
    .split('\n')
    .map((line) => line.trim())
    .every((line) => line === '' || line.startsWith('--'));
}

export interface WriteMigrationOptions {
  migrationsDir: string;
  name: string;
  sql: string;
  now?: Date;
}

/** `Add Users`, `addUsers`, `add-users` → `add_users`. */
export function migrationSlug(name: string): string {
  const slug = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!slug) throw new Error(`Migration name ${JSON.stringify(name)} has no letters or digits`);
  return slug;
}

/** Prisma's folder timestamp: UTC, YYYYMMDDHHMMSS. */
function migrationTimestamp(date: Date): string {
  return date.toISOString().replace(/\D/g, '').slice(0, 14);
}

/** Writes a new migration folder in Prisma's layout and the lock file if missing; returns the folder. */
export async function writeMigration(options: WriteMigrationOptions): Promise<string> {
  const baseDir = path.resolve(options.migrationsDir);
  const folder = path.join(baseDir, `${migrationTimestamp(options.now ?? new Date())}_${migrationSlug(options.name)}`);
  await mkdir(baseDir, { recursive: true });
  // Non-recursive, so an existing folder of the same name fails instead of being overwritten.
  await mkdir(folder);
  await writeFile(path.join(folder, MIGRATION_FILE), options.sql, 'utf8');
  const lockContent =
    '# Please do not edit this file manually\n' +
    '# It should be added in your version-control system (e.g., Git)\n' +
    'provider = "postgresql"\n';
  await writeFile(path.join(baseDir, LOCKFILE), lockContent, { encoding: 'utf8', flag: 'wx' }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    },
  );
  return folder;
}
