/**
 * EventTransport over pg-boss 10: one Postgres database is the broker for every service (the
 * embedded default of `npm start`).
 *
 * Mapping of Kafka semantics:
 * - topic            -> pg-boss pub/sub event name
 * - consumer group   -> one pg-boss queue per (group, topic), named `${group}__${topic}`, subscribed to
 *                       the topic's event; publish inserts one job per subscribed queue whose group
 *                       handles the message's type (fan-out, see postgres-routing.ts)
 * - partition key    -> the job's singleton key: a key's jobs are handled one at a time, in order,
 *                       across all members of the group (the `singleton` policy's index backs it up)
 * - offset commit    -> job completion; rejection -> the job goes back to the queue, ahead of its key
 * - session timeout  -> the member's notification connection: when it is gone, another member hands
 *                       the member's active jobs back within `sweepIntervalMs`; a handler running
 *                       longer than `expireInSeconds` is expired by pg-boss maintenance
 *
 * Latency: publish NOTIFYs the queues it filled; every member LISTENs and wakes its consumers of
 * those queues at once, in any process. A consumer fetches jobs of distinct keys in one statement
 * (half of `batchSize` at most, so two fetches overlap) and hands them to the subscriber's
 * handleBatch together (or to handle, one by one, in parallel); a finished job triggers the next
 * fetch, so a key's next event starts as soon as the previous one is done. A slow poll covers
 * lost notifications.
 *
 * Guarantees:
 * - publish: one statement inserts every job of the call and NOTIFYs their queues, so all or
 *   nothing, resolved after commit.
 *   Publish calls on one transport run one after another in call order. Transient connection
 *   errors are retried for up to `publishRetryMs`; after that publish rejects and the caller (the
 *   outbox relay) must publish again, possibly duplicating jobs that did commit.
 * - Order: jobs are ordered by `created_on, id`: created_on is the inserting transaction's start,
 *   and job ids are generated time-ordered here, so a queue's jobs follow publication order (per
 *   publisher; there is one publisher per key, the owning service's relay). A job starts only when
 *   every earlier job of its key has finished, also across members and after failures: a rejected
 *   job is retried after a backoff while keeping its place, so its key waits and other keys go on.
 * - A group receives the messages published after its first subscribe() or registerGroup()
 *   created its queue (registrations persist; messages published while no member runs are kept).
 *   Unlike Kafka, a new group does not see older messages. Once a member declared the types it
 *   handles (SubscribeOptions.types), the group keeps only messages of those types (the union
 *   over its members so far); see postgres-routing.ts and docs/events.md.
 * - Members of one broker must connect as one role (or roles allowed to read each other's
 *   pg_stat_activity rows), which is how a member tells a vanished member from a live one.
 * - Jobs nobody fetches for 14 days are archived undelivered (pg-boss retention).
 */
import pg from 'pg';
import PgBoss from 'pg-boss';
import { surviveConnectionLoss } from '@bazaar/service';
import { IDLE_CONNECTION_MS } from '../sql';
import type { EventTransport, SubscribeOptions, Subscription, TransportMessage } from '../transport';
import { retrying } from '@bazaar/service';
import { keyOrderIndexSql, QueueConsumer, type ConsumerSettings } from './postgres-consumer';
import { BrokerMember, membersTableSql } from './postgres-member';
import { insertJobs, queueTypesTableSql, recordHandledTypes } from './postgres-routing';
import { subscriptionRegistry } from './subscriptions';

export interface PostgresTransportOptions {
  connectionString: string;
  /** Schema holding pg-boss's tables, created on first start. Default `pgboss`. */
  schema?: string;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
  /** Connections of this transport's pool (besides its notification connection). Default 5. */
  poolSize?: number;
  /**
   * Jobs of one queue a member holds at once (different keys). Default 32, fetched half at a time:
   * with a subscriber's handleBatch, the jobs fetched together are applied in one transaction, so
   * two batches in flight take two database connections, and a backlog drains at hundreds per second.
   */
  batchSize?: number;
  /** Fallback poll of an idle consumer, for notifications lost while reconnecting. Default 2 s. */
  pollingIntervalMs?: number;
  /**
   * A job still unfinished this long after it started is delivered again; it must exceed the
   * longest handler. Set by the subscribing side on its queues. Default 30 s.
   */
  expireInSeconds?: number;
  /** How often pg-boss sweeps expired jobs (and archives old ones). Default 15 s, minimum 1. */
  maintenanceIntervalSeconds?: number;
  /** How often a member hands back the jobs of members whose connection is gone. Default 1 s. */
  sweepIntervalMs?: number;
  /** Backoff before a rejected job is delivered again: doubles from this... Default 200 ms. */
  retryBackoffMs?: number;
  /** ...up to this. Default 5 s. */
  maxRetryBackoffMs?: number;
  /** How long publish retries transient connection errors before rejecting. Default 30 s. */
  publishRetryMs?: number;
  /** How long Subscription.stop() waits for running handlers before handing their jobs back. Default 5 s. */
  stopGraceMs?: number;
  logger?: Pick<Console, 'warn'>;
}

/** pg-boss's retry counter is an int; this many retries is "never give up", as a Kafka consumer does. */
const RETRY_FOREVER = 1_000_000_000;

export function queueName(group: string, topic: string): string {
  return `${group}__${topic}`;
}

export interface PostgresEventTransport extends EventTransport {
  readonly kind: 'postgres';
  /**
   * Registers a consumer group without consuming: from now on every message of `topics` is kept
   * for the group until a member subscribes. A group otherwise exists only from its first
   * subscribe(), so a stack can call this for all its groups before any relay publishes.
   */
  registerGroup(group: string, topics: readonly string[]): Promise<void>;
}

export function createPostgresTransport(options: PostgresTransportOptions): PostgresEventTransport {
  const schema = options.schema ?? 'pgboss';
  const logger = options.logger ?? console;
  const settings: ConsumerSettings = {
    schema,
    batchSize: options.batchSize ?? 32,
    pollingIntervalMs: options.pollingIntervalMs ?? 2_000,
    expireInSeconds: options.expireInSeconds ?? 30,
    retryBackoffMs: options.retryBackoffMs ?? 200,
    maxRetryBackoffMs: options.maxRetryBackoffMs ?? 5_000,
    stopGraceMs: options.stopGraceMs ?? 5_000,
    logger,
  };
  const publishRetryMs = options.publishRetryMs ?? 30_000;
  const applicationName = options.applicationName ?? 'bazaar-events';

  // Our own pool instead of pg-boss's: pg-boss cannot be restarted after a failed start() and its
  // pool would leak; with ours a failed start is retried by a fresh PgBoss on the same pool.
  const pool = surviveConnectionLoss(
    new pg.Pool({ connectionString: options.connectionString, max: options.poolSize ?? 5, application_name: applicationName, idleTimeoutMillis: IDLE_CONNECTION_MS }),
    (error) => logger.warn(`events (postgres): idle connection lost: ${error.message}`),
  );
  const db: PgBoss.Db = {
    executeSql: (text, values) => pool.query(text, values),
  };
  const member = new BrokerMember(pool, {
    connectionString: options.connectionString,
    applicationName,
    schema,
    sweepIntervalMs: options.sweepIntervalMs ?? 1_000,
    reconnectDelayMs: 500,
    logger,
  });

  let booting: Promise<PgBoss> | undefined;
  const ready = (): Promise<PgBoss> => {
    booting ??= (async () => {
      const boss = new PgBoss({
        db,
        schema,
        migrate: true,
        supervise: true,
        maintenanceIntervalSeconds: options.maintenanceIntervalSeconds ?? 15,
        schedule: false, // no cron jobs here
      });
      boss.on('error', (error) => logger.warn(`events (postgres): pg-boss: ${error.message}`));
      try {
        const started = await boss.start();
        for (const sql of [keyOrderIndexSql(schema), queueTypesTableSql(schema), membersTableSql(schema)]) await createOnce(pool, sql);
        return started;
      } catch (error) {
        await boss.stop({ graceful: false, close: false }).catch(() => {});
        booting = undefined;
        throw error;
      }
    })();
    return booting;
  };

  let publishTail: Promise<unknown> = Promise.resolve();
  const subscriptions = subscriptionRegistry();
  let closed = false;

  async function insert(messages: readonly TransportMessage[]): Promise<void> {
    await ready();
    await insertJobs(pool, schema, messages);
  }

  function publishWithRetry(messages: readonly TransportMessage[]): Promise<void> {
    return retrying(() => insert(messages), { retryIf: (error) => !closed && isTransient(error), deadline: Date.now() + publishRetryMs });
  }

  return {
    kind: 'postgres',

    publish(messages) {
      if (closed) return Promise.reject(new Error('postgres transport is closed'));
      if (messages.length === 0) return Promise.resolve();
      const run = publishTail.then(() => publishWithRetry(messages));
      publishTail = run.catch(() => undefined);
      return run;
    },

    async registerGroup(group, topics) {
      if (closed) throw new Error('postgres transport is closed');
      await registerGroupQueues(await ready(), pool, group, topics, settings);
    },

    async subscribe(subscribeOptions) {
      if (closed) throw new Error('postgres transport is closed');
      const boss = await ready();
      await member.start();
      const subscription = await startSubscription(boss, pool, member, subscribeOptions, settings);
      return subscriptions.track(subscription);
    },

    async lag(group, topics) {
      const boss = await ready();
      let waiting = 0;
      for (const topic of topics) waiting += await boss.getQueueSize(queueName(group, topic));
      return waiting;
    },

    async close() {
      if (closed) return;
      closed = true;
      await subscriptions.stopAll();
      await publishTail;
      await member.close();
      const boss = await booting?.catch(() => undefined);
      await boss?.stop({ graceful: false, close: false });
      await pool.end();
    },
  };
}

/**
 * What concurrent `CREATE … IF NOT EXISTS` of one object may fail with, though the object then
 * exists: the catalog's unique index (23505), the relation or the table's row type found at the
 * last moment (42P07, 42710: 4 of 600 racing creations of a table here), a deadlock (40P01).
 */
const LOST_CREATION_RACE = new Set(['23505', '42P07', '42710', '40P01']);

/** Our fetch's index, routing and member tables; concurrent first starts race to create them, which is harmless. */
export async function createOnce(pool: pg.Pool, sql: string): Promise<void> {
  try {
    await pool.query(sql);
  } catch (error) {
    if (!LOST_CREATION_RACE.has(String((error as { code?: unknown }).code))) throw error;
  }
}

/** Creates the group's queues (idempotently) and subscribes them to their topics; returns the queue names. */
async function registerGroupQueues(boss: PgBoss, pool: pg.Pool, group: string, topics: readonly string[], settings: ConsumerSettings): Promise<string[]> {
  const wanted = [...new Set(topics)].map((topic) => ({ topic, queue: queueSettings(queueName(group, topic), settings) }));
  // Every service registers every group at each start: one look settles the usual case, where
  // nothing changed since the last start, instead of four statements per queue.
  const current = await registeredQueues(pool, settings.schema, wanted.map(({ queue }) => queue.name));
  for (const { topic, queue } of wanted) {
    if (current.get(queue.name) === registrationOf(topic, queue)) continue;
    if (!(await boss.getQueue(queue.name))) await createQueue(boss, queue);
    // Applies these settings to the jobs inserted from now on.
    await boss.updateQueue(queue.name, queue);
    await boss.subscribe(topic, queue.name);
  }
  return wanted.map(({ queue }) => queue.name);
}

function queueSettings(name: string, settings: ConsumerSettings): PgBoss.Queue {
  return {
    name,
    policy: 'singleton',
    retryLimit: RETRY_FOREVER,
    // Our fetch and hand-back do the retrying (with backoff); pg-boss's only path here is expiry.
    retryDelay: 0,
    retryBackoff: false,
    expireInSeconds: settings.expireInSeconds,
  };
}

/** A queue's settings and subscribed topic as one comparable string. */
const registrationOf = (topic: string | null, queue: Pick<PgBoss.Queue, 'policy' | 'retryLimit' | 'retryDelay' | 'retryBackoff' | 'expireInSeconds'>) =>
  JSON.stringify([topic, queue.policy, queue.retryLimit, queue.retryDelay, queue.retryBackoff, queue.expireInSeconds]);

async function registeredQueues(pool: pg.Pool, schema: string, names: string[]): Promise<Map<string, string>> {
  const { rows } = await pool
    .query<{ name: string; event: string | null; policy: string; retry_limit: number; retry_delay: number; retry_backoff: boolean; expire_seconds: number }>(
      `SELECT q.name, s.event, q.policy, q.retry_limit, q.retry_delay, q.retry_backoff, q.expire_seconds
         FROM ${schema}.queue q LEFT JOIN ${schema}.subscription s ON s.name = q.name
        WHERE q.name = ANY($1::text[])`,
      [names],
    )
    .catch(() => ({ rows: [] }));
  return new Map(
    rows.map((row) => [
      row.name,
      registrationOf(row.event, { policy: row.policy as PgBoss.Queue['policy'], retryLimit: row.retry_limit, retryDelay: row.retry_delay, retryBackoff: row.retry_backoff, expireInSeconds: row.expire_seconds }),
    ]),
  );
}

async function startSubscription(
  boss: PgBoss,
  pool: pg.Pool,
  member: BrokerMember,
  { group, topics, types, handle, handleBatch }: SubscribeOptions,
  settings: ConsumerSettings,
): Promise<Subscription> {
  const queues = await registerGroupQueues(boss, pool, group, topics, settings);
  if (types) await recordHandledTypes(pool, settings.schema, queues, types);
  const consumers = queues.map((name) => new QueueConsumer(pool, member, name, { handle, ...(handleBatch ? { handleBatch } : {}) }, settings));
  for (const consumer of consumers) consumer.start();

  let stopping: Promise<void> | undefined;
  return {
    stop() {
      stopping ??= Promise.all(consumers.map((c) => c.stop())).then(() => undefined);
      return stopping;
    },
  };
}

// pg-boss creates a queue by attaching a partition to its job table; two creations at once can
// deadlock each other. One at a time per process, and a deadlock with another process is retried.
let queueCreation: Promise<unknown> = Promise.resolve();

function createQueue(boss: PgBoss, queue: PgBoss.Queue): Promise<void> {
  const run = queueCreation.then(async () => {
    await retrying(() => boss.createQueue(queue.name, queue), {
      // A no-op when the queue exists.
      retryIf: (error) => (error as { code?: unknown }).code === '40P01',
      maxAttempts: 5,
      initialDelayMs: 50,
      maxDelayMs: 250,
    });
  });
  queueCreation = run.catch(() => undefined);
  return run;
}

/** Connection loss, server shutdown/startup, a database refusing connections, too many clients. */
function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return /connection|terminat|timeout/i.test(error.message);
  if (/^E[A-Z]+$/.test(code)) return true; // ECONNREFUSED, ECONNRESET, ETIMEDOUT, ...
  return /^(08|53|57)/.test(code) || code === '55000' || code === '40001' || code === '40P01';
}

