/**
 * SQL statements an operation costs each subgraph's database, counted by pg_stat_statements (the
 * reads stack preloads it): reset, send the operation `times` times one after another, read the calls.
 * Background work (outbox relays, projections, sweeps) runs meanwhile: statements on its tables and
 * transaction control are left out, and what the rest counts in an equally long quiet window after
 * is subtracted.
 */
import { SUBGRAPHS } from '@bazaar/topology';
import type pg from 'pg';

const BACKGROUND = /outbox|pgboss|processed_event|rate_limit|pg_stat_statements|^\s*(BEGIN|COMMIT|ROLLBACK|SET|SHOW|DISCARD|DEALLOCATE|LISTEN|UNLISTEN|SELECT \$1)\b/i;

export async function statementsPerRequest(
  admin: (database: string) => pg.Client,
  send: () => Promise<void>,
  times: number,
): Promise<Record<string, number>> {
  const clients = SUBGRAPHS.map(({ name }) => ({ name, client: admin(name) }));
  await Promise.all(clients.map(({ client }) => client.connect()));
  try {
    const count = async (during: () => Promise<void>) => {
      await clients[0]!.client.query('SELECT pg_stat_statements_reset()'); // one view for the whole server
      await during();
      return Promise.all(clients.map(({ client }) => callsIn(client)));
    };
    const started = performance.now();
    const loaded = await count(async () => {
      for (let sent = 0; sent < times; sent++) await send();
    });
    const elapsedMs = performance.now() - started;
    const quiet = await count(() => new Promise((resolve) => setTimeout(resolve, elapsedMs)));
    const counts: Record<string, number> = {};
    clients.forEach(({ name }, index) => {
      const perRequest = Math.round((loaded[index]! - quiet[index]!) / times);
      if (perRequest > 0) counts[name] = perRequest;
    });
    return counts;
  } finally {
    await Promise.all(clients.map(({ client }) => client.end()));
  }
}

async function callsIn(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ query: string; calls: string }>(
    'SELECT query, calls FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())',
  );
  return rows.filter(({ query }) => !BACKGROUND.test(query)).reduce((total, { calls }) => total + Number(calls), 0);
}
