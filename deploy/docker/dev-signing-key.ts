/*
 * DEVELOPMENT ONLY. Writes a fresh Ed25519 signing key (a private JWK, the format the users
 * service expects in AUTH_SIGNING_KEY) to the given file unless one is already there, so tokens
 * survive `docker compose down`/`up`. Run by the one-shot `keys` service of docker-compose.yml;
 * a real deployment passes its own key through AUTH_SIGNING_KEY or AUTH_SIGNING_KEY_FILE.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateSigningKey } from '@bazaar/service';

const file = process.argv[2];
if (!file) {
  console.error('usage: node --import tsx deploy/docker/dev-signing-key.ts <file>');
  process.exit(1);
}

if (existsSync(file)) {
  console.log(`dev signing key kept: ${file}`);
} else {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${JSON.stringify(await generateSigningKey())}\n`, { mode: 0o600, flag: 'wx' });
  console.log(`dev signing key written (development only, never use it in production): ${file}`);
}
