import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { generateSigningKey } from '@bazaar/service';

/**
 * Development secrets are generated on first start and kept in the data folder, so tokens and
 * database passwords survive a restart. Production passes its own through configuration.
 */
export async function loadOrCreateJson<T>(file: string, create: () => Promise<T> | T): Promise<T> {
  if (existsSync(file)) return JSON.parse(await readFile(file, 'utf8')) as T;
  const value = await create();
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  return value;
}

export const loadOrCreateSigningKey = (dataDir: string) =>
  loadOrCreateJson(path.join(dataDir, 'secrets', 'signing-key.json'), generateSigningKey);

/** The secret the router signs subgraph calls with (see @bazaar/service signing.ts). */
export const loadOrCreateSubgraphSecret = (dataDir: string) =>
  loadOrCreateJson(path.join(dataDir, 'secrets', 'subgraph-signing-secret.json'), () => randomBytes(32).toString('base64url'));

export const loadOrCreateRolePasswords = (dataDir: string, services: readonly string[]) =>
  loadOrCreateJson<Record<string, string>>(path.join(dataDir, 'secrets', 'database-passwords.json'), () =>
    Object.fromEntries(services.map((service) => [service, randomBytes(18).toString('base64url')])),
  ).then(async (passwords) => {
    const missing = services.filter((service) => !passwords[service]);
    if (missing.length === 0) return passwords;
    for (const service of missing) passwords[service] = randomBytes(18).toString('base64url');
    await writeFile(path.join(dataDir, 'secrets', 'database-passwords.json'), `${JSON.stringify(passwords, null, 2)}\n`, { mode: 0o600 });
    return passwords;
  });
