import { randomBytes } from 'node:crypto';
import { createDatabase, databaseUrl, dropDatabase } from '@bazaar/database';

export const templateDatabase = (service: string) => `template_${service}`;

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh database for one service, with its migrations already applied (copied from the template). */
export const createTestDatabase = (adminUrl: string, service: string) =>
  createUniqueDatabase(adminUrl, service, templateDatabase(service));

/** A fresh empty database, e.g. for the event broker. */
export const createEmptyDatabase = (adminUrl: string, prefix: string) => createUniqueDatabase(adminUrl, prefix);

async function createUniqueDatabase(adminUrl: string, prefix: string, template?: string): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await createDatabase(adminUrl, name, template ? { template } : {});
  return { name, url: databaseUrl(adminUrl, name), drop: () => dropDatabase(adminUrl, name) };
}
