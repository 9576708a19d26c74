import { randomBytes } from 'node:crypto';
import { createDatabase, databaseUrl, dropDatabase } from '@bazaar/database';

export const templateDatabase = (service: string) => `template_${service}`;

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh database for one service, with its migrations already applied (copied from the template). */
export async function createTestDatabase(adminUrl: string, service: string): Promise<TestDatabase> {
  const name = `${service}_${randomBytes(6).toString('hex')}`;
  await createDatabase(adminUrl, name, { template: templateDatabase(service) });
  return { name, url: databaseUrl(adminUrl, name), drop: () => dropDatabase(adminUrl, name) };
}
