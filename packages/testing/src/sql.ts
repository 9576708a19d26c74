import { vi } from 'vitest';
import type pg from 'pg';

/** Prisma's tagged-template `$executeRaw` over a plain pg client, for tests that play a service. */
export function sqlRunner(client: pg.Pool | pg.PoolClient) {
  return {
    async $executeRaw(strings: TemplateStringsArray, ...values: unknown[]): Promise<number> {
      const text = strings.reduce((sql, part, index) => `${sql}$${index}${part}`);
      const result = await client.query(text, values);
      return result.rowCount ?? 0;
    },
  };
}

export type PgSqlRunner = ReturnType<typeof sqlRunner>;

/** Runs `work` in one transaction on its own connection, like prisma.$transaction. */
export async function pgTransaction<T>(pool: pg.Pool, work: (tx: PgSqlRunner) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(sqlRunner(client));
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Polls `read` (vitest's `vi.waitFor`) until `done` holds or the time is up; returns the last value
 * either way, so the caller's assertion shows what was there. The default deadline is generous: on a
 * busy machine events take seconds, and a passing test never waits for it.
 */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 45_000): Promise<T> {
  let last: { value: T } | undefined;
  try {
    return await vi.waitFor(
      async () => {
        last = { value: await read() };
        if (!done(last.value)) throw new Error('not yet');
        return last.value;
      },
      { timeout: timeoutMs, interval: 50 },
    );
  } catch (error) {
    if (last) return last.value;
    throw error;
  }
}
