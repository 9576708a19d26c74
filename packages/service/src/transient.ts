/**
 * Errors that say "not now" rather than "never": the same work may well succeed when tried again.
 * Consumers retry them without ever parking the event; request handlers answer SERVICE_UNAVAILABLE
 * (retryable) instead of INTERNAL_SERVER_ERROR. See docs/events.md and docs/errors.md.
 */

/** SQLSTATEs: serialization failure, deadlock, lock/statement timeout, shutdown, resources, connection. */
const TRANSIENT_SQLSTATES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available (lock_timeout)
  '57014', // query_canceled (statement_timeout)
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up)
  '25P03', // idle_in_transaction_session_timeout
  '53000', // insufficient_resources
  '53100', // disk_full
  '53200', // out_of_memory
  '53300', // too_many_connections
  '08000', // connection_exception
  '08001', // sqlclient_unable_to_establish_sqlconnection
  '08003', // connection_does_not_exist
  '08006', // connection_failure
]);

/** Prisma's codes for unreachable/closed connections, pool and transaction timeouts, write conflicts. */
const TRANSIENT_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028', 'P2034', 'P2037']);

/** How the Postgres driver adapter names the same failures. */
const TRANSIENT_ADAPTER_KINDS = new Set(['TransactionWriteConflict', 'TooManyConnections', 'DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout']);

const TRANSIENT_SOCKET_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ECONNABORTED']);

const TRANSIENT_MESSAGES =
  /transaction already closed|expired transaction|unable to start a transaction in the given time|timeout exceeded when trying to connect|connection terminated|terminating connection|client has encountered a connection error|database system is (starting up|shutting down|in recovery mode)|server closed the connection|could not serialize access|deadlock detected|canceling statement due to (lock|statement) timeout|too many clients|Cannot use a pool after calling end/i;

/** A marker for errors the code itself knows to be temporary (e.g. a service shutting down). */
export class TransientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientError';
  }
}

/** Whether `error` (or anything it wraps) is a temporary failure worth retrying. */
export function isTransientError(error: unknown): boolean {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const current = queue.shift();
    if (!current || typeof current !== 'object' || seen.has(current)) continue;
    seen.add(current);
    if (current instanceof TransientError) return true;
    const record = current as Record<string, unknown>;
    const code = typeof record.code === 'string' ? record.code : undefined;
    const kind = typeof record.kind === 'string' ? record.kind : undefined;
    if (code && (TRANSIENT_SQLSTATES.has(code) || TRANSIENT_PRISMA_CODES.has(code) || TRANSIENT_SOCKET_CODES.has(code))) return true;
    if (kind && TRANSIENT_ADAPTER_KINDS.has(kind)) return true;
    if (kind === 'postgres' && code && TRANSIENT_SQLSTATES.has(code)) return true;
    if (typeof record.message === 'string' && TRANSIENT_MESSAGES.test(record.message)) return true;
    const meta = record.meta as Record<string, unknown> | undefined;
    queue.push(record.cause, record.originalError, meta?.driverAdapterError, ...(Array.isArray(record.errors) ? record.errors : []));
  }
  return false;
}

/**
 * Prisma transaction limits for services under load: how long a transaction may wait for a pooled
 * connection, and run, before it is given up (then answered as a retryable SERVICE_UNAVAILABLE).
 * Prisma's defaults (2 s, 5 s) turn a busy machine's ordinary queueing into failed requests.
 */
export const TRANSACTION_LIMITS = { maxWait: 10_000, timeout: 15_000 } as const;
