import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createEmptyDatabase, type TestDatabase } from '@bazaar/testing';
import { createOnce } from '../src/transports/postgres';

/**
 * Every member of every service creates the transport's own tables at its first start, at the same
 * moment as the others. Postgres lets `CREATE TABLE IF NOT EXISTS` racing itself fail in more than
 * one way (a transport contract run in CI once failed on `type "bazaar_members" already exists`).
 */
describe('creating the transport tables from members starting at once', () => {
  let database: TestDatabase;
  let pool: pg.Pool;

  beforeAll(async () => {
    database = await createEmptyDatabase(inject('postgresAdminUrl'), 'create_once');
    pool = new pg.Pool({ connectionString: database.url, max: 3 });
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('never fails a member for losing the race, and the table exists after it', async () => {
    const rounds = 200;
    for (let round = 0; round < rounds; round++) {
      const sql = `CREATE TABLE IF NOT EXISTS members_${round} (id text PRIMARY KEY, since text NOT NULL)`;
      const results = await Promise.allSettled([createOnce(pool, sql), createOnce(pool, sql), createOnce(pool, sql)]);
      expect(results.filter(({ status }) => status === 'rejected')).toEqual([]);
    }
    const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_tables WHERE tablename LIKE 'members\\_%'`);
    expect(rows[0]!.n).toBe(rounds);
  });
});
