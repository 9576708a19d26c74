import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { discardDeadLetters, listDeadLetters, replayDeadLetters, type DeadLetterSelection } from '@bazaar/events';
import { databaseName, databaseRole, databaseUrlVariable, REPO_ROOT, SUBGRAPHS } from '@bazaar/topology';

const usage = `Usage (operator commands for parked events; see docs/events.md):
  npm run events -- dead-letters [--service S]          list parked events (all services, or one)
  npm run events -- replay <dead letter id> | --all [--service S]
                                                       put them back on their topic, to be applied once
  npm run events -- discard <dead letter id> | --all [--service S]
                                                       delete them for good
Databases: <SERVICE>_DATABASE_URL when set, else the embedded Postgres of \`npm start\` (it must be running).`;

/** Each chosen service's database URL: configured, or the embedded one `npm start` provisioned. */
async function databaseUrls(services: string[]): Promise<Map<string, string>> {
  const urls = new Map<string, string>();
  const dataDir = process.env.BAZAAR_DATA_DIR ?? path.join(REPO_ROOT, '.data');
  const port = process.env.POSTGRES_PORT ?? '54320';
  let passwords: Record<string, string> | undefined;
  for (const service of services) {
    const configured = process.env[databaseUrlVariable(service)];
    if (configured) {
      urls.set(service, configured);
      continue;
    }
    passwords ??= JSON.parse(await readFile(path.join(dataDir, 'secrets', 'database-passwords.json'), 'utf8').catch(() => '{}')) as Record<string, string>;
    const password = passwords[service];
    if (!password) throw new Error(`No database for ${service}: set ${databaseUrlVariable(service)}, or start the stack once with npm start.`);
    urls.set(service, `postgresql://${databaseRole(service)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${databaseName(service)}`);
  }
  return urls;
}

async function forEachService<T>(services: string[], work: (service: string, db: pg.Pool) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (const [service, url] of await databaseUrls(services)) {
    const db = new pg.Pool({ connectionString: url, max: 1 });
    try {
      results.push(await work(service, db));
    } catch (error) {
      throw new Error(`${service}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    } finally {
      await db.end();
    }
  }
  return results;
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { service: { type: 'string' }, all: { type: 'boolean' } } });
  const [command, id] = positionals;
  const known = SUBGRAPHS.map(({ name }) => name);
  if (values.service && !known.includes(values.service)) throw new Error(`Unknown service "${values.service}"; one of: ${known.join(', ')}`);
  const services = values.service ? [values.service] : known;

  if (command === 'dead-letters') {
    const all = (await forEachService(services, async (service, db) => (await listDeadLetters(db)).map((letter) => ({ service, ...letter })))).flat();
    if (all.length === 0) {
      console.log('No dead letters.');
      return;
    }
    for (const letter of all) {
      console.log(`${letter.id}  ${letter.service}/${letter.consumer}  ${letter.type ?? '(not an event)'}  key=${letter.key}  attempts=${letter.attempts}  ${letter.createdAt.toISOString()}\n    ${letter.reason}`);
    }
    console.log(`${all.length} dead letter(s).`);
    return;
  }
  if (command !== 'replay' && command !== 'discard') throw new Error(usage);
  if (!id === !values.all) throw new Error(`${command} needs a dead letter id or --all.\n\n${usage}`);
  const selection: DeadLetterSelection = id ? { id } : { all: true };
  if (command === 'replay') {
    const results = await forEachService(services, async (service, db) => ({ service, ...(await replayDeadLetters(db, selection)) }));
    for (const { service, replayed, unreplayable } of results) {
      if (replayed.length > 0) console.log(`${service}: replayed ${replayed.length}: ${replayed.join(', ')}`);
      if (unreplayable.length > 0) console.log(`${service}: ${unreplayable.length} not replayable (not an event; discard them): ${unreplayable.join(', ')}`);
    }
    const total = results.reduce((sum, { replayed }) => sum + replayed.length, 0);
    if (id && total === 0 && results.every(({ unreplayable }) => unreplayable.length === 0)) throw new Error(`No dead letter ${id}.`);
    console.log(`${total} dead letter(s) replayed.`);
    return;
  }
  const counts = await forEachService(services, (_service, db) => discardDeadLetters(db, selection));
  const total = counts.reduce((sum, count) => sum + count, 0);
  if (id && total === 0) throw new Error(`No dead letter ${id}.`);
  console.log(`${total} dead letter(s) discarded.`);
}

try {
  await main(process.argv.slice(2));
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
