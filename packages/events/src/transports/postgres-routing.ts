/**
 * Which groups' queues a published message becomes a job in, and the publish itself.
 *
 * A group's queue of a topic gets a message only when the group handles the message's event type:
 * of a checkout's ~20 jobs about half were of types their group ignores, each still inserted,
 * NOTIFYed, fetched and completed. Each subscribing member records its group's handled types per
 * queue (`bazaar_queue_types`); a queue without a row (registered from the topology before any
 * member of its group ran) gets every message of its topic, so nothing a first member will handle
 * is lost before it subscribes. The recorded set only grows: during a rolling deploy old and new
 * members subscribe side by side, and a union never drops what either handles.
 */
import type pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import type { TransportMessage } from '../transport';
import { jobsChannel, preparedName } from './postgres-member';

const queueTypesTable = (schema: string) => `${schema}.bazaar_queue_types`;

export function queueTypesTableSql(schema: string): string {
  return `CREATE TABLE IF NOT EXISTS ${queueTypesTable(schema)} (
    queue text PRIMARY KEY REFERENCES ${schema}.queue (name) ON DELETE CASCADE,
    types text[] NOT NULL,
    updated_on timestamptz NOT NULL DEFAULT now())`;
}

/** Adds `types` to what each of `queues` receives (the first record narrows a queue from "everything"). */
export async function recordHandledTypes(pool: pg.Pool, schema: string, queues: readonly string[], types: readonly string[]): Promise<void> {
  const table = queueTypesTable(schema);
  await pool.query(
    `INSERT INTO ${table} AS t (queue, types) SELECT queue, $2::text[] FROM unnest($1::text[]) AS queue
     ON CONFLICT (queue) DO UPDATE
       SET types = ARRAY(SELECT DISTINCT unnest(t.types || EXCLUDED.types) ORDER BY 1), updated_on = now()
       WHERE NOT t.types @> EXCLUDED.types`,
    [queues, [...new Set(types)].sort()],
  );
}

/**
 * Publishes in one round trip: the messages become jobs of the subscribed queues that handle their
 * type (a message without a type goes to every queue of its topic), with the queues' settings, and
 * the filled queues are NOTIFYed, which Postgres delivers at commit, so a woken consumer finds them.
 */
export async function insertJobs(pool: pg.Pool, schema: string, messages: readonly TransportMessage[]): Promise<void> {
  // UUIDv7, monotonic within the process: the jobs of one statement share `created_on`, so the fetch
  // orders them by id, which must follow publication order. A message's jobs in different queues
  // share its id (the job table's key is (name, id)).
  const rows = messages.map((m) => ({ job: uuidv7(), topic: m.topic, type: m.type ?? null, key: m.key, id: m.id, value: m.value }));
  await pool.query({
    name: preparedName('publish', schema),
    text: `WITH message AS (
         SELECT * FROM json_to_recordset($1::json) AS m (job uuid, topic text, type text, key text, id text, value text)),
       target AS (
         SELECT m.*, s.name AS queue FROM message m
           JOIN ${schema}.subscription s ON s.event = m.topic
           LEFT JOIN ${queueTypesTable(schema)} t ON t.queue = s.name
          WHERE m.type IS NULL OR t.types IS NULL OR m.type = ANY (t.types)),
       inserted AS (
         INSERT INTO ${schema}.job (id, name, data, singleton_key, expire_in, keep_until, retry_limit, retry_delay, retry_backoff, policy, dead_letter)
         SELECT target.job, target.queue,
                jsonb_build_object('topic', target.topic, 'key', target.key, 'id', target.id, 'value', target.value),
                target.key,
                COALESCE(q.expire_seconds * interval '1 second', interval '15 minutes'),
                now() + COALESCE(q.retention_minutes * interval '1 minute', interval '14 days'),
                COALESCE(q.retry_limit, 2), COALESCE(q.retry_delay, 0), COALESCE(q.retry_backoff, false),
                q.policy, q.dead_letter
           FROM target JOIN ${schema}.queue q ON q.name = target.queue
         ON CONFLICT DO NOTHING
         RETURNING name)
       SELECT pg_notify($2, name) FROM (SELECT DISTINCT name FROM inserted) AS queues`,
    values: [JSON.stringify(rows), jobsChannel(schema)],
  });
}
