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

/** Polls `read` until `done` holds or the time is up; returns the last value either way. */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await read();
  }
  return value;
}
