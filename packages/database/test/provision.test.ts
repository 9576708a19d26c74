import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, databaseUrl, dropDatabase, provisionServiceDatabase } from '../src/index';
import { connectionError, query, startTestPostgres, type TestPostgres } from './helpers';

const INSUFFICIENT_PRIVILEGE = '42501';
const INVALID_PASSWORD = '28P01';
const DATABASE_NOT_ACCEPTING_CONNECTIONS = '55000';

let server: TestPostgres;
let adminUrl: string;

beforeAll(async () => {
  server = await startTestPostgres();
  adminUrl = server.server.adminUrl;
});
afterAll(() => server?.cleanup());

describe('provisionServiceDatabase', () => {
  it('creates the role and database, and a second run changes nothing but the password', async () => {
    const options = { adminUrl, database: 'users', role: 'users_service', password: 'first' };
    const url = await provisionServiceDatabase(options);
    expect(url).toBe(`postgresql://users_service:first@127.0.0.1:${server.server.port}/users`);
    await query(url, 'CREATE TABLE accounts (id int PRIMARY KEY)');
    await query(url, 'INSERT INTO accounts VALUES (1)');

    const again = await provisionServiceDatabase({ ...options, password: 'second' });
    expect(again).toBe(`postgresql://users_service:second@127.0.0.1:${server.server.port}/users`);
    expect(await query(again, 'SELECT id FROM accounts')).toEqual([{ id: 1 }]);
    expect(await connectionError(url)).toBe(INVALID_PASSWORD);

    const [owner] = await query<{ owner: string }>(
      adminUrl,
      "SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = 'users'",
    );
    expect(owner?.owner).toBe('users_service');
  });

  it('fences each service role into its own database', async () => {
    const users = await provisionServiceDatabase({ adminUrl, database: 'users', role: 'users_service', password: 'pw-users' });
    const books = await provisionServiceDatabase({ adminUrl, database: 'books', role: 'books_service', password: 'pw-books' });
    const usersCredentials = { user: 'users_service', password: 'pw-users' };

    expect(await connectionError(users)).toBeUndefined();
    expect(await connectionError(books)).toBeUndefined();
    expect(await connectionError(databaseUrl(adminUrl, 'books', usersCredentials))).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await connectionError(databaseUrl(adminUrl, 'postgres', usersCredentials))).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await connectionError(databaseUrl(adminUrl, 'template1', usersCredentials))).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await connectionError(databaseUrl(adminUrl, 'template0', usersCredentials))).toBe(DATABASE_NOT_ACCEPTING_CONNECTIONS);

    const [role] = await query<{ rolsuper: boolean; rolcreatedb: boolean; rolcreaterole: boolean }>(
      adminUrl,
      "SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = 'books_service'",
    );
    expect(role).toEqual({ rolsuper: false, rolcreatedb: false, rolcreaterole: false });
  });

  it('copes with concurrent provisioning', async () => {
    const names = ['cart', 'wishlist', 'orders', 'payments'];
    const urls = await Promise.all(
      names.map((name) => provisionServiceDatabase({ adminUrl, database: name, role: `${name}_service`, password: name })),
    );
    for (const url of urls) expect(await connectionError(url)).toBeUndefined();
  });
});

describe('test-harness helpers', () => {
  it('databaseUrl swaps the database and encodes credentials', () => {
    expect(databaseUrl('postgresql://postgres:postgres@127.0.0.1:5432/postgres', 'other')).toBe(
      'postgresql://postgres:postgres@127.0.0.1:5432/other',
    );
    expect(databaseUrl('postgresql://a:b@127.0.0.1:5432/postgres', 'db', { user: 'svc', password: 'p@ss/word' })).toBe(
      'postgresql://svc:p%40ss%2Fword@127.0.0.1:5432/db',
    );
  });

  it('creates a database from a template and drops it while connected', async () => {
    await createDatabase(adminUrl, 'harness_template');
    const templateUrl = databaseUrl(adminUrl, 'harness_template');
    await query(templateUrl, "CREATE TABLE seeded AS SELECT 'seed' AS value");

    await createDatabase(adminUrl, 'harness_copy', { template: 'harness_template', owner: 'users_service' });
    const copyUrl = databaseUrl(adminUrl, 'harness_copy');
    expect(await query(copyUrl, 'SELECT value FROM seeded')).toEqual([{ value: 'seed' }]);
    await expect(createDatabase(adminUrl, 'harness_copy')).rejects.toThrow(/already exists/);

    const holder = new pg.Client({ connectionString: copyUrl });
    holder.on('error', () => {});
    await holder.connect();
    await dropDatabase(adminUrl, 'harness_copy');
    await dropDatabase(adminUrl, 'harness_copy');
    await dropDatabase(adminUrl, 'harness_template');
    await holder.end().catch(() => {});

    const left = await query(adminUrl, "SELECT datname FROM pg_database WHERE datname LIKE 'harness_%'");
    expect(left).toEqual([]);
  });
});
