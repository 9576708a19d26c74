import type pg from 'pg';
import { isUuid } from '@bazaar/service';

/** A parked event as an operator sees it. */
export interface DeadLetter {
  id: string;
  consumer: string;
  eventId: string | null;
  type: string | null;
  topic: string;
  key: string;
  reason: string;
  attempts: number;
  createdAt: Date;
}

/** Which dead letters an operator command acts on: one by its id, or all (of one consumer). */
export type DeadLetterSelection = { id: string } | { all: true; consumer?: string };

const where = (selection: DeadLetterSelection): [string, unknown[]] =>
  'id' in selection ? ['id = $1::uuid', [selection.id]] : selection.consumer ? ['consumer = $1', [selection.consumer]] : ['true', []];

/** A service's dead letters, oldest first (optionally of one consumer group). */
export async function listDeadLetters(db: pg.Pool, consumer?: string): Promise<DeadLetter[]> {
  const { rows } = await db.query<DeadLetter>(
    `SELECT id, consumer, event_id AS "eventId", type, topic, key, reason, attempts, created_at AS "createdAt"
       FROM dead_letter_events WHERE ($1::text IS NULL OR consumer = $1) ORDER BY created_at, id`,
    [consumer ?? null],
  );
  return rows;
}

export interface ReplayResult {
  /** Dead letters put back on their topic (and removed from the table). */
  replayed: string[];
  /** Dead letters that are not events (not JSON, no envelope id) and can only be discarded. */
  unreplayable: string[];
}

/**
 * Puts parked events back on their topic through the service's own outbox, with their original
 * envelope and id, in one transaction that also removes them from the dead-letter table. The
 * service's relay publishes them; its consumer applies each once (processed_events), and other
 * consumer groups that applied them already skip them by the same id.
 */
export async function replayDeadLetters(db: pg.Pool, selection: DeadLetterSelection): Promise<ReplayResult> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const [condition, values] = where(selection);
    const { rows } = await client.query<{ id: string; topic: string; key: string; type: string | null; payload: string }>(
      `SELECT id, topic, key, type, payload FROM dead_letter_events WHERE ${condition} ORDER BY created_at, id FOR UPDATE`,
      values,
    );
    const result: ReplayResult = { replayed: [], unreplayable: [] };
    for (const row of rows) {
      const envelope = parseEnvelope(row.payload);
      if (!envelope) {
        result.unreplayable.push(row.id);
        continue;
      }
      await client.query(
        `INSERT INTO outbox_events (id, topic, key, type, envelope) VALUES ($1::uuid, $2, $3, $4, $5::jsonb)
         ON CONFLICT (id) DO UPDATE SET published_at = NULL, attempts = 0, last_error = NULL`,
        [envelope.id, row.topic, row.key, envelope.type, row.payload],
      );
      await client.query('DELETE FROM dead_letter_events WHERE id = $1::uuid', [row.id]);
      result.replayed.push(row.id);
    }
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Deletes parked events for good; returns how many. */
export async function discardDeadLetters(db: pg.Pool, selection: DeadLetterSelection): Promise<number> {
  const [condition, values] = where(selection);
  const { rowCount } = await db.query(`DELETE FROM dead_letter_events WHERE ${condition}`, values);
  return rowCount ?? 0;
}

function parseEnvelope(payload: string): { id: string; type: string } | null {
  try {
    const value = JSON.parse(payload) as { id?: unknown; type?: unknown };
    return typeof value.id === 'string' && isUuid(value.id) && typeof value.type === 'string' ? { id: value.id, type: value.type } : null;
  } catch {
    return null;
  }
}
