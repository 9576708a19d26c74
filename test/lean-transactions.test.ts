import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { afterCommit, isTransientError, leanSql, leanTransactions, ridesWithCommit, TransactionTimeout, type SqlStatement } from '@bazaar/service';
import { createEmptyDatabase, type TestDatabase } from '@bazaar/testing';

/** A `Prisma.raw`-like fragment: text spliced in as it is. */
const raw = (text: string): SqlStatement => ({ strings: [text], values: [] });

let database: TestDatabase;
let pool: pg.Pool;
const heard: string[] = [];
let transaction: ReturnType<typeof leanTransactions>;
const timezone = process.env.TZ;

beforeAll(async () => {
  // Far from UTC, so a value read or written in local time would show.
  process.env.TZ = 'Pacific/Auckland';
  database = await createEmptyDatabase(inject('postgresAdminUrl'), 'lean');
  pool = new pg.Pool({ connectionString: database.url, max: 2 });
  await pool.query(`CREATE TABLE things (
    id int PRIMARY KEY, big bigint, bigs bigint[], at timestamp(3), at_tz timestamptz(3), on_day date,
    doc jsonb, tags text[], ids uuid[])`);
  transaction = leanTransactions(pool, { maxWaitMs: 1_000, timeoutMs: 2_000, onQuery: (sql) => heard.push(sql) });
});
afterAll(async () => {
  process.env.TZ = timezone;
  await pool?.end();
  await database?.drop();
});

describe('lean transactions (raw SQL through pg, as Prisma would run it)', () => {
  it('sends and reads values as Prisma raw queries do, whatever the local time zone', async () => {
    const at = new Date('2026-12-02T23:30:00.123Z');
    const rows = await transaction(async (tx) => {
      const inserted = await tx.$executeRaw`
        INSERT INTO things (id, big, bigs, at, at_tz, on_day, doc, tags, ids)
        VALUES (${1}, ${9_007_199_254_740_993n}, ${[1n, 2n]}::bigint[], ${at}, ${at}, ${'2026-12-02'}::date, ${{ lines: [{ quantity: 2 }] }}::jsonb,
                ${['a', 'b']}::text[], ${['00000000-0000-0000-0000-000000000001']}::uuid[])`;
      expect(inserted).toBe(1);
      return tx.$queryRaw<Record<string, unknown>[]>`SELECT ${raw('big, bigs, at, at_tz, on_day, doc, tags, ids')} FROM things WHERE id = ${1}`;
    });
    expect(rows).toEqual([
      {
        big: 9_007_199_254_740_993n,
        bigs: [1n, 2n],
        at,
        at_tz: at,
        on_day: new Date('2026-12-02T00:00:00Z'),
        doc: { lines: [{ quantity: 2 }] },
        tags: ['a', 'b'],
        ids: ['00000000-0000-0000-0000-000000000001'],
      },
    ]);
    // Stored as the UTC wall time, as Prisma stores a DateTime in a timestamp column.
    const { rows: stored } = await pool.query<{ at: string }>(`SELECT at::text FROM things WHERE id = 1`);
    expect(stored[0]!.at).toBe('2026-12-02 23:30:00.123');
  });

  it('splices nested statements in, with their values numbered in order', async () => {
    const where: SqlStatement = { strings: ['id = ', ' AND big = ', ''], values: [1, 9_007_199_254_740_993n] };
    const rows = await transaction(async (tx) => tx.$queryRaw<{ id: number }[]>`SELECT id FROM things WHERE ${where} AND ${2} > ${1}`);
    expect(rows).toEqual([{ id: 1 }]);
  });

  it('rolls everything back when the work fails, and the connection serves the next transaction', async () => {
    heard.length = 0;
    await expect(
      transaction(async (tx) => {
        await tx.$executeRaw`INSERT INTO things (id) VALUES (${2})`;
        await tx.$executeRaw`INSERT INTO things (id) VALUES (${1})`; // a unique violation
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect(heard).toEqual(['BEGIN', 'INSERT INTO things (id) VALUES ($1)', 'INSERT INTO things (id) VALUES ($1)', 'ROLLBACK']);
    expect((await pool.query('SELECT count(*)::int AS n FROM things')).rows[0].n).toBe(1);
    await transaction(async (tx) => tx.$executeRaw`INSERT INTO things (id) VALUES (${3})`);
    expect((await pool.query('SELECT array_agg(id ORDER BY id) AS ids FROM things')).rows[0].ids).toEqual([1, 3]);
  });

  it('gives up a transaction that runs past its limit, as a retryable failure, and keeps nothing of it', async () => {
    const short = leanTransactions(pool, { maxWaitMs: 1_000, timeoutMs: 50 });
    const failure = await short(async (tx) => {
      await tx.$executeRaw`INSERT INTO things (id) VALUES (${4})`;
      await new Promise((resolve) => setTimeout(resolve, 100));
      await tx.$executeRaw`INSERT INTO things (id) VALUES (${5})`;
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TransactionTimeout);
    expect(isTransientError(failure)).toBe(true);
    expect((await pool.query('SELECT count(*)::int AS n FROM things WHERE id IN (4, 5)')).rows[0].n).toBe(0);
  });

  it('waits a bounded time for a connection when the pool is busy', async () => {
    const held = [await pool.connect(), await pool.connect()];
    try {
      const waiting = leanTransactions(pool, { maxWaitMs: 100, timeoutMs: 1_000 });
      const failure = await waiting(async (tx) => tx.$queryRaw`SELECT 1`).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(TransactionTimeout);
      expect(isTransientError(failure)).toBe(true);
    } finally {
      for (const client of held) client.release();
    }
    // The connection that came too late went back to the pool: both are free again.
    await transaction(async (tx) => tx.$queryRaw`SELECT 1`);
    expect(pool.idleCount + pool.totalCount).toBeGreaterThan(0);
    expect(pool.waitingCount).toBe(0);
  });

  it('runs single statements on the pool, each committed on its own, with the same values and rows', async () => {
    const sql = leanSql(pool);
    expect(await sql.$executeRaw`INSERT INTO things (id, big, at) VALUES (${6}, ${-5n}, ${new Date('2026-01-01T00:00:00Z')})`).toBe(1);
    await expect(sql.$executeRaw`INSERT INTO things (id) VALUES (${6})`).rejects.toMatchObject({ code: '23505' });
    expect(await sql.$queryRaw`SELECT big, at FROM things WHERE id = ${6}`).toEqual([{ big: -5n, at: new Date('2026-01-01T00:00:00Z') }]);
  });

  it('runs after-commit hooks once the transaction committed, when its rows are visible, and never after a rollback', async () => {
    const seen: string[] = [];
    // Each hook looks from another connection: what it was told about must be there.
    const visible = async (id: number) => (await pool.query('SELECT count(*)::int AS n FROM things WHERE id = $1', [id])).rows[0].n === 1;
    await transaction(async (tx) => {
      await tx.$executeRaw`INSERT INTO things (id) VALUES (${20})`;
      afterCommit(() => seen.push('committed 20'));
      // Later in the same transaction, and from code the work awaited: still before the commit.
      await Promise.resolve().then(() => afterCommit(() => seen.push('and again')));
      expect(seen).toEqual([]);
    });
    expect(seen).toEqual(['committed 20', 'and again']);
    expect(await visible(20)).toBe(true);

    await expect(
      transaction(async (tx) => {
        await tx.$executeRaw`INSERT INTO things (id) VALUES (${21})`;
        afterCommit(() => seen.push('rolled back 21'));
        await tx.$executeRaw`INSERT INTO things (id) VALUES (${20})`; // a unique violation
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect(seen).toEqual(['committed 20', 'and again']);

    // Outside a lean transaction there is nothing to wait for.
    afterCommit(() => seen.push('at once'));
    expect(seen.at(-1)).toBe('at once');
  });

  it('sends writes that ride with the commit in its round trip, as the values they were given, and rolls back with a failing one', async () => {
    const tricky = `it's a "quote", a back\\slash, ünïcödé and 🙂`;
    const at = new Date('2026-12-02T23:30:00.123Z');
    heard.length = 0;
    await transaction(async (tx) => {
      expect(ridesWithCommit(tx)).toBe(true);
      if (!ridesWithCommit(tx)) return;
      await tx.$executeRaw`INSERT INTO things (id) VALUES (${30})`;
      void tx.$executeWithCommit`INSERT INTO things (id, big, at_tz, doc, tags) VALUES (${31}, ${-9_007_199_254_740_993n}, ${at}, ${{ note: tricky }}::jsonb, ARRAY[${tricky}])`;
      // Not written yet: it goes with the COMMIT.
      expect(await tx.$queryRaw`SELECT id FROM things WHERE id = ${31}`).toEqual([]);
    });
    expect(heard.slice(-2)).toEqual([expect.stringContaining('INSERT INTO things (id, big, at_tz, doc, tags) VALUES (31, -9007199254740993'), 'COMMIT']);
    expect((await pool.query('SELECT big::text, at_tz, doc, tags FROM things WHERE id = 31')).rows).toEqual([
      { big: '-9007199254740993', at_tz: at, doc: { note: tricky }, tags: [tricky] },
    ]);

    // A rider that fails takes the whole transaction with it, and the connection serves the next one.
    await expect(
      transaction(async (tx) => {
        await tx.$executeRaw`INSERT INTO things (id) VALUES (${32})`;
        if (ridesWithCommit(tx)) void tx.$executeWithCommit`INSERT INTO things (id) VALUES (${31})`;
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect((await pool.query('SELECT count(*)::int AS n FROM things WHERE id = 32')).rows[0].n).toBe(0);
    await transaction(async (tx) => tx.$executeRaw`INSERT INTO things (id) VALUES (${33})`);
    expect((await pool.query('SELECT count(*)::int AS n FROM things WHERE id = 33')).rows[0].n).toBe(1);
    // Single statements on the pool have no commit to ride with.
    expect(ridesWithCommit(leanSql(pool))).toBe(false);
  });
});
