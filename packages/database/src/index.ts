export { resolveDataDir, startEmbeddedPostgres } from './embedded';
export type { EmbeddedPostgres, ResolvedDataDir, StartEmbeddedPostgresOptions } from './embedded';
export { createDatabase, databaseUrl, dropDatabase, provisionServiceDatabase } from './admin';
export type { CreateDatabaseOptions, Credentials, ProvisionServiceDatabaseOptions } from './admin';
export { applyMigrations, diffMigrationsToSchema, migrationSlug, writeMigration } from './migrations';
export type { ApplyMigrationsOptions, DiffMigrationsToSchemaOptions, WriteMigrationOptions } from './migrations';
export { findFreePort } from './ports';
