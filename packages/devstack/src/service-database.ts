import { databaseUrlVariable, type Env } from '@bazaar/topology';
import { prepareDatabases } from './stack';

interface DatabaseClient {
  $disconnect(): Promise<void>;
}

/**
 * Runs a command-line task (a seed, a payout run) against one service's database: the one its
 * `<SERVICE>_DATABASE_URL` names, or else the `npm start` database, whose embedded Postgres is
 * started for the task and stopped after it (so run such a task while `npm start` is stopped).
 * `connect` makes the service's own (Prisma) client, which is disconnected when the task ends.
 */
export async function withServiceDatabase<Client extends DatabaseClient, T>(
  service: string,
  options: { env: Env; log: (line: string) => void; connect: (databaseUrl: string) => Client },
  task: (db: Client) => Promise<T>,
): Promise<T> {
  const configured = options.env[databaseUrlVariable(service)];
  const databases = configured ? undefined : await prepareDatabases(options.env, options.log);
  try {
    const db = options.connect(configured ?? databases!.databaseUrls[service]!);
    try {
      return await task(db);
    } finally {
      await db.$disconnect();
    }
  } finally {
    await databases?.stop();
  }
}
