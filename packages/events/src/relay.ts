import pg from 'pg';
import { surviveConnectionLoss } from '@bazaar/service';
import { contextFrom, endSpanWithError, SERVICE_ATTRIBUTE, SpanKind, startSpan } from '@bazaar/telemetry';
import { IDLE_CONNECTION_MS } from './sql';
import type { EventTransport, TransportMessage } from './transport';

export interface RelayLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface OutboxRelayOptions {
  /** The publishing service (names its spans). */
  service?: string;
  /** The service's own database, where its outbox_events table lives. */
  connectionString: string;
  transport: EventTransport;
  logger: RelayLogger;
  /** Fallback polling, for notifications missed while disconnected. */
  pollIntervalMs?: number;
  batchSize?: number;
  /** Upper bound of the back-off after a failed publish. */
  maxBackoffMs?: number;
}

export interface OutboxRelay {
  /** Publishes everything pending now; resolves with how many events were published. */
  flush(): Promise<number>;
  stop(): Promise<void>;
}

/** Channel the outbox_events insert trigger notifies (see the services' migrations). */
export const OUTBOX_CHANNEL = 'outbox_events';

/** Serialises relays of one database, so two instances never publish one key's events out of order. */
const RELAY_LOCK = 'bazaar.outbox-relay';

interface OutboxRow {
  position: string;
  id: string;
  topic: string;
  key: string;
  type: string;
  envelope: string;
}

/**
 * Publishes committed outbox rows in commit order and marks them sent. A crash between publish
 * and marking only means the rows are published again on the next run: consumers de-duplicate by
 * event id. LISTEN/NOTIFY wakes it as soon as a transaction commits, polling covers the rest.
 */
export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const batchSize = options.batchSize ?? 100;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const { logger, transport } = options;
  const pool = surviveConnectionLoss(new pg.Pool({ connectionString: options.connectionString, max: 2, idleTimeoutMillis: IDLE_CONNECTION_MS }), (error) =>
    logger.warn({ err: error }, 'outbox relay connection lost'),
  );

  let stopped = false;
  let running: Promise<number> | undefined;
  let rerun = false;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let listener: pg.Client | undefined;
  let listenTimer: NodeJS.Timeout | undefined;

  /**
   * One batch in four round trips (a round trip is what a hop pays most for on a busy machine):
   * BEGIN with the lock, the rows marked and read in one statement, the publish, COMMIT. A failed
   * publish rolls the marks back.
   */
  async function publishBatch(): Promise<number> {
    const client = await pool.connect();
    try {
      // Two statements in one simple-protocol query; RELAY_LOCK is a constant of ours, safe inline.
      const results = (await client.query(`BEGIN; SELECT pg_try_advisory_xact_lock(hashtext('${RELAY_LOCK}')) AS locked`)) as unknown as pg.QueryResult<{ locked: boolean }>[];
      if (!results[1]?.rows[0]?.locked) {
        await client.query('ROLLBACK');
        return 0;
      }
      const { rows: marked } = await client.query<OutboxRow>(
        `UPDATE outbox_events SET published_at = now(), attempts = attempts + 1
          WHERE position IN (SELECT position FROM outbox_events WHERE published_at IS NULL ORDER BY position LIMIT $1)
          RETURNING position::text, id::text, topic, key, type, envelope::text`,
        [batchSize],
      );
      if (marked.length === 0) {
        await client.query('ROLLBACK');
        return 0;
      }
      // RETURNING follows no order: commit order is the order consumers must see.
      const rows = marked.sort((a, b) => (BigInt(a.position) < BigInt(b.position) ? -1 : 1));
      const messages: TransportMessage[] = rows.map(({ id, topic, key, type, envelope }) => ({ id, topic, key, type, value: envelope }));
      const spans = messages.map((message) => publishSpan(options.service ?? 'outbox-relay', message));
      try {
        await transport.publish(messages);
        for (const span of spans) span.end();
      } catch (error) {
        for (const span of spans) endSpanWithError(span, error);
        await client.query('ROLLBACK');
        await pool.query(
          `UPDATE outbox_events SET attempts = attempts + 1, last_error = $2 WHERE position = ANY($1::bigint[])`,
          [rows.map((row) => row.position), error instanceof Error ? error.message : String(error)],
        );
        throw error;
      }
      await client.query('COMMIT');
      return rows.length;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  async function drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const published = await publishBatch();
      total += published;
      if (published < batchSize) return total;
    }
  }

  function schedule(delayMs: number) {
    clearTimeout(timer);
    if (!stopped) timer = setTimeout(() => void poll().catch(() => {}), delayMs);
  }

  /**
   * The fallback poll. Notifications wake the relay for nearly every row, so the poll almost
   * always finds nothing: one indexed look instead of a transaction with its advisory lock keeps
   * an idle relay (one per service process, every second) cheap.
   */
  async function poll(): Promise<number> {
    if (stopped) return 0;
    if (!running) {
      const pending = await pool
        .query<{ pending: boolean }>('SELECT EXISTS (SELECT 1 FROM outbox_events WHERE published_at IS NULL) AS pending')
        .then(({ rows }) => rows[0]?.pending !== false)
        .catch(() => true); // let run() meet the error and back off
      if (!pending) {
        schedule(pollIntervalMs);
        return 0;
      }
    }
    return run();
  }

  /** One drain at a time; a wake-up during a drain runs another right after it. */
  function run(): Promise<number> {
    if (running) {
      rerun = true;
      return running;
    }
    running = (async () => {
      let total = 0;
      try {
        do {
          rerun = false;
          total += await drain();
        } while (rerun && !stopped);
        failures = 0;
        schedule(pollIntervalMs);
        return total;
      } catch (error) {
        failures += 1;
        const backoff = Math.min(maxBackoffMs, 200 * 2 ** Math.min(failures, 10));
        logger.warn({ err: error, failures, retryInMs: backoff }, 'outbox relay could not publish; will retry');
        schedule(backoff);
        throw error;
      } finally {
        running = undefined;
      }
    })();
    return running;
  }

  /** One LISTEN connection at a time; a lost one is replaced, and polling covers the gap. */
  async function listen() {
    const client = new pg.Client({ connectionString: options.connectionString });
    let replaced = false;
    const replaceLater = (delayMs: number) => {
      if (replaced) return;
      replaced = true;
      if (listener === client) listener = undefined;
      void client.end().catch(() => {});
      if (!stopped) listenTimer = setTimeout(() => void listen(), delayMs);
    };
    client.on('error', (error) => {
      logger.warn({ err: error }, 'outbox relay lost its LISTEN connection; polling until it is back');
      replaceLater(pollIntervalMs);
    });
    client.on('notification', () => void run().catch(() => {}));
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
      if (stopped) return void (await client.end());
      listener = client;
      // Rows committed while nobody listened would otherwise wait for the next poll.
      void run().catch(() => {});
    } catch (error) {
      logger.warn({ err: error }, 'outbox relay cannot LISTEN yet; polling meanwhile');
      replaceLater(pollIntervalMs * 5);
    }
  }

  void listen();
  void run().catch(() => {});

  return {
    flush: () => run(),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(listenTimer);
      await running?.catch(() => {});
      await listener?.end().catch(() => {});
      await pool.end();
    },
  };
}

/** The publish of one outbox row, a child of the trace its envelope carries. */
function publishSpan(service: string, message: TransportMessage) {
  let traceparent: string | undefined;
  try {
    traceparent = (JSON.parse(message.value) as { traceparent?: string }).traceparent;
  } catch {
    traceparent = undefined;
  }
  return startSpan(`publish ${message.topic}`, {
    kind: SpanKind.PRODUCER,
    parent: contextFrom({ traceparent }),
    attributes: { [SERVICE_ATTRIBUTE]: service, 'messaging.destination.name': message.topic, 'messaging.message.id': message.id },
  });
}
