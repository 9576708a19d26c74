import type pg from 'pg';

/**
 * Storefront reads straight through node-postgres, past Prisma's query interpreter. For the hot
 * DataLoader batches (books, authors, listings, users, review summaries by id) Prisma's client cost
 * 2.5× the CPU of the same SELECT through `pg` (docs/performance.md), and these statements run on
 * every page. TypedSQL (`$queryRawTyped`) would keep Prisma's typing but not skip its interpreter,
 * and `prisma generate --sql` needs a live database at generate time. Rows come back as `pg` parses
 * them: cast what it would leave as a string (bigint counts, enums in arrays) in the SQL itself.
 */
export interface LeanReader {
  /**
   * Runs one read. `name` prepares the statement once per connection (Postgres then skips parsing
   * and planning it): give it only to statements whose text never changes.
   */
  rows<Row>(statement: { name?: string; text: string; values?: unknown[] }): Promise<Row[]>;
}

/** `onQuery` (tests only) hears every statement, as Prisma's query log does, so counts include these. */
export function leanReader(pool: pg.Pool, onQuery?: (sql: string) => void): LeanReader {
  return {
    async rows<Row>(statement: { name?: string; text: string; values?: unknown[] }) {
      onQuery?.(statement.text);
      const result = await pool.query(statement);
      return result.rows as Row[];
    },
  };
}
