import pg from 'pg';
import { surviveConnectionLoss } from '@bazaar/service';
import type { RelayLogger } from './relay';

/**
 * The longest a transport may hand an already-applied event to a consumer again while the system
 * runs: Kafka's rebalance (60 s) after a member's session timeout (30 s), pg-boss's job expiry
 * (30 s) plus its maintenance sweep (15 s), and a relay that published but crashed before marking
 * its rows (it republishes at its next start). processed_events ids must outlive every such
 * duplicate, so the retention window may never be shorter than this.
 */
export const REDELIVERY_WINDOW_MS = 90_000 + 45_000;

/** Default retention: a week, so even a relay down for days republishes into known ids. */
export const DEFAULT_EVENT_RETENTION_HOURS = 168;

export interface RetentionOptions {
  connectionString: string;
  logger: RelayLogger;
  /** Published outbox rows and processed-event ids older than this are deleted. */
  retentionMs: number;
  /** How often the job runs (every replica runs it; an advisory lock lets one at a time work). */
  intervalMs?: number;
}

export interface PruneResult {
  outboxEvents: number;
  processedEvents: number;
}

export interface EventRetention {
  /** Prunes now; resolves with what was deleted (zeros while another replica prunes). */
  prune(): Promise<PruneResult>;
  stop(): Promise<void>;
}

const RETENTION_LOCK = 'bazaar.event-retention';

/** Throws when `retentionMs` would let a redelivered event be applied twice. */
export function assertRetentionWindow(retentionMs: number): void {
  if (!(retentionMs > REDELIVERY_WINDOW_MS)) {
    throw new Error(
      `event retention (${retentionMs} ms) must be longer than the redelivery window (${REDELIVERY_WINDOW_MS} ms): ` +
        'a duplicate arriving after its processed-event id was pruned would be applied twice',
    );
  }
}

/**
 * Keeps outbox_events and processed_events from growing for ever: deletes outbox rows published
 * and processed-event ids recorded more than `retentionMs` ago. Unpublished outbox rows are never
 * touched, however old. Failures (database away) are logged and retried at the next interval.
 */
export function startEventRetention(options: RetentionOptions): EventRetention {
  assertRetentionWindow(options.retentionMs);
  const intervalMs = options.intervalMs ?? 60 * 60_000;
  const pool = surviveConnectionLoss(new pg.Pool({ connectionString: options.connectionString, max: 1 }));
  let running: Promise<PruneResult> | undefined;
  let stopped = false;

  async function pruneOnce(): Promise<PruneResult> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked', [RETENTION_LOCK]);
      if (!rows[0]?.locked) {
        await client.query('ROLLBACK');
        return { outboxEvents: 0, processedEvents: 0 };
      }
      const cutoff = new Date(Date.now() - options.retentionMs);
      const outbox = await client.query('DELETE FROM outbox_events WHERE published_at IS NOT NULL AND published_at < $1', [cutoff]);
      const processed = await client.query('DELETE FROM processed_events WHERE processed_at < $1', [cutoff]);
      await client.query('COMMIT');
      return { outboxEvents: outbox.rowCount ?? 0, processedEvents: processed.rowCount ?? 0 };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  function prune(): Promise<PruneResult> {
    running ??= pruneOnce().finally(() => (running = undefined));
    return running;
  }

  const tick = async () => {
    try {
      const result = await prune();
      if (result.outboxEvents + result.processedEvents > 0) options.logger.info(result, 'pruned old event bookkeeping');
    } catch (error) {
      if (!stopped) options.logger.warn({ err: error }, 'event retention could not prune; will try again');
    }
  };
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();

  return {
    prune,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => {});
      await pool.end();
    },
  };
}
