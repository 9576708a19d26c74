/*
 * Database and role administration over a superuser connection.
 *
 * Facts worth knowing:
 * - PUBLIC holds CONNECT on every new database, including `postgres` and `template1`
 *   (`datistemplate` only means "may be cloned"; it does not stop connections). Only `template0`
 *   refuses connections, through `datallowconn = false`. So a service role is fenced in by
 *   revoking CONNECT from PUBLIC on `postgres`, `template1` and every service database.
 * - CREATE/ALTER ROLE cannot take bind parameters, so the password is sent as an escaped literal.
 * - Concurrent GRANT/REVOKE on the same database can fail with "tuple concurrently updated";
 *   provisioning therefore holds a session advisory lock.
 */
import pg from 'pg';

export interface Credentials {
  user: string;
  password: string;
}

/** Same server as `adminUrl`, another database and optionally other credentials. */
export function databaseUrl(adminUrl: string, database: string, credentials?: Credentials): string {
  const url = new URL(adminUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  if (credentials) {
    url.username = encodeURIComponent(credentials.user);
    url.password = encodeURIComponent(credentials.password);
  }
  return url.toString();
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  // An idle client that loses its server emits 'error'; without a listener that crashes the process.
  client.on('error', () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const ident = (client: pg.Client, name: string) => client.escapeIdentifier(name);

async function databaseExists(client: pg.Client, name: string): Promise<boolean> {
  const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  return (rowCount ?? 0) > 0;
}

export interface CreateDatabaseOptions {
  /** Clone this database (it must have no open connections). */
  template?: string;
  owner?: string;
}

/** Creates `name`; fails if it already exists. */
export async function createDatabase(adminUrl: string, name: string, options: CreateDatabaseOptions = {}): Promise<void> {
  await withClient(adminUrl, async (client) => {
    let sql = `CREATE DATABASE ${ident(client, name)}`;
    if (options.template) sql += ` TEMPLATE ${ident(client, options.template)}`;
    if (options.owner) sql += ` OWNER ${ident(client, options.owner)}`;
    await client.query(sql);
  });
}

/** Drops `name` if it exists, disconnecting its sessions first. */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await withClient(adminUrl, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${ident(client, name)} WITH (FORCE)`);
  });
}

export interface ProvisionServiceDatabaseOptions {
  adminUrl: string;
  database: string;
  role: string;
  password: string;
}

// Arbitrary constant shared by every provisioning session on a server.
const PROVISION_LOCK_KEY = 0x0b00_4ba2;

/**
 * Idempotently gives a service its own login role and database, reachable by that role only.
 * Returns the service's connection URL.
 */
export async function provisionServiceDatabase(options: ProvisionServiceDatabaseOptions): Promise<string> {
  const { adminUrl, database, role, password } = options;
  await withClient(adminUrl, async (client) => {
    await client.query('SELECT pg_advisory_lock($1)', [PROVISION_LOCK_KEY]);
    try {
      const roleSql = ident(client, role);
      const attributes = `LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD ${client.escapeLiteral(password)}`;
      const { rowCount } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      const verb = (rowCount ?? 0) > 0 ? 'ALTER' : 'CREATE';
      await client.query(`${verb} ROLE ${roleSql} WITH ${attributes}`);

      const dbSql = ident(client, database);
      if (await databaseExists(client, database)) {
        await client.query(`ALTER DATABASE ${dbSql} OWNER TO ${roleSql}`);
      } else {
        await client.query(`CREATE DATABASE ${dbSql} OWNER ${roleSql}`);
      }
      await client.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${dbSql} FROM PUBLIC`);
      await client.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${dbSql} TO ${roleSql}`);
      for (const shared of ['postgres', 'template1']) {
        if (shared !== database && (await databaseExists(client, shared))) {
          await client.query(`REVOKE CONNECT ON DATABASE ${ident(client, shared)} FROM PUBLIC`);
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [PROVISION_LOCK_KEY]);
    }
  });
  return databaseUrl(adminUrl, database, { user: role, password });
}
