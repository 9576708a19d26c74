/**
 * pg_stat_statements for the benchmarks' stacks: the cluster is prepared before the launcher starts
 * it, so the library is loaded at start, and a round's statements are read per database afterwards.
 */
import pg from 'pg';
import { startEmbeddedPostgres } from '@bazaar/database';

/** Creates the cluster where the launcher will look for it, set to load pg_stat_statements when it starts. */
export async function preloadStatementStatistics(clusterDir: string, port: string): Promise<void> {
  const postgres = await startEmbeddedPostgres({ dataDir: clusterDir, port: Number(port) });
  const client = new pg.Client(postgres.adminUrl);
  try {
    await client.connect();
    await client.query(`ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`);
  } finally {
    await client.end();
    await postgres.stop();
  }
}

export interface StatementTotal {
  database: string;
  query: string;
  calls: number;
  totalMs: number;
}

/**
 * Every statement the server ran since `reset`, with its database, calls and execution time
 * (planning excluded: pg_stat_statements leaves it off by default). `adminUrl` names any database.
 */
export async function statementTotals(adminUrl: string, reset = false): Promise<StatementTotal[]> {
  const client = new pg.Client(adminUrl);
  await client.connect();
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    if (reset) {
      await client.query('SELECT pg_stat_statements_reset()');
      return [];
    }
    const { rows } = await client.query<{ database: string; query: string; calls: string; total_ms: number }>(
      `SELECT d.datname AS database, s.query, s.calls, s.total_exec_time AS total_ms
         FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid`,
    );
    return rows.map((row) => ({ database: row.database, query: row.query, calls: Number(row.calls), totalMs: Number(row.total_ms) }));
  } finally {
    await client.end();
  }
}
