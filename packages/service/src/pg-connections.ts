import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';

/**
 * Makes a lost Postgres connection (server restart, failover, pg_terminate_backend) an error of the
 * work that used it instead of the end of the process. `pg` emits 'error' on the pool for an idle
 * connection and on the client itself for a checked-out one (e.g. a relay transaction waiting on
 * the broker); either one with no listener is thrown as an uncaught exception. The failed query
 * still rejects, its owner retries, and the pool opens a fresh connection for the next one.
 */
export function surviveConnectionLoss<Pool extends pg.Pool>(pool: Pool, onLost: (error: Error) => void = () => {}): Pool {
  pool.on('error', (error) => onLost(error));
  // The rejected query tells its owner; this listener only keeps the event from being fatal.
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

/**
 * Prisma's Postgres adapter on a pool that survives lost connections. The adapter listens for
 * errors of idle connections and of transactions in progress, but not of a connection between
 * its transaction's end and its return to the pool; a terminated connection there ended the
 * process (test/connection-loss.test.ts).
 */
export function postgresAdapter(connection: string | pg.Pool): PrismaPg {
  const pool = typeof connection === 'string' ? postgresPool(connection) : connection;
  return new PrismaPg(pool, { disposeExternalPool: true });
}

/** The pool a service's Prisma client runs on (given to postgresAdapter), e.g. to report its use. */
export const postgresPool = (connectionString: string, options: Omit<pg.PoolConfig, 'connectionString'> = {}): pg.Pool =>
  surviveConnectionLoss(new pg.Pool({ ...options, connectionString }));
