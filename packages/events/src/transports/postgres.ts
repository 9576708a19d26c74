/**
 * EventTransport over pg-boss 10: one Postgres database is the broker for every service (the
 * embedded default of `npm start`).
 *
 * Mapping of Kafka semantics:
 * - topic            -> pg-boss pub/sub event name
 * - consumer group   -> one pg-boss queue per (group, topic), named `${group}__${topic}`, subscribed to
 *                       the topic's event; publish inserts one job per subscribed queue (fan-out)
 * - partition key    -> the job's singleton key, with the queue's `singleton` policy: at most one job
 *                       per key is active in a queue at any time, across all members of the group
 * - offset commit    -> job completion; rejection -> job failure with an immediate pg-boss retry
 * - session timeout  -> job expiration (`expireInSeconds`), swept by pg-boss maintenance
 *
 * Guarantees:
 * - publish: one INSERT of every job of the call, so all or nothing, resolved after commit.
 *   Publish calls on one transport run one after another in call order. Transient connection
 *   errors are retried for up to `publishRetryMs`; after that publish rejects and the caller (the
 *   outbox relay) must publish again, possibly duplicating jobs that did commit.
 * - Fetch order is pg-boss's `created_on, id`: created_on is the inserting transaction's start, and
 *   job ids are generated time-ordered here, so jobs leave a queue in publication order (per
 *   publisher; there is one publisher per key, the owning service's relay).
 * - Per key, handling is one at a time and in order, also across members and after failures: a
 *   rejected job is retried with no delay while keeping its `created_on`, so it is the oldest
 *   eligible job again; a job whose handler crashed stays `active` until it expires, and meanwhile
 *   the singleton index keeps its key's later jobs from starting.
 *   The price is head-of-line blocking: members fetch the oldest eligible job of the queue; when it
 *   cannot start (its key is active elsewhere) that fetch returns nothing and the member waits one
 *   polling interval, and a job that keeps failing stops its whole queue (every key of that topic
 *   for that group), where Kafka would stop one partition.
 * - A group receives the messages published after its first subscribe() or registerGroup()
 *   created its queue (registrations persist; messages published while no member runs are kept).
 *   Unlike Kafka, a new group does not see older messages.
 * - After a crash the job is delivered again once it expired (expireInSeconds, checked every
 *   maintenanceIntervalSeconds). A handler running longer than expireInSeconds is treated the same
 *   way: its result is ignored and the job is delivered again.
 * - Jobs nobody fetches for 14 days are archived undelivered (pg-boss retention).
 */
import { subscriptionRegistry } from './subscriptions';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import PgBoss from 'pg-boss';
import type { EventTransport, SubscribeOptions, Subscription, TransportMessage } from '../transport';

export interface PostgresTransportOptions {
  connectionString: string;
  /** Schema holding pg-boss's tables, created on first start. Default `pgboss`. */
  schema?: string;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
  /** Connections of this transport's pool. Default 5. */
  poolSize?: number;
  /**
   * How often an idle subscription asks for jobs. Default 500 ms. Publishes through a transport in
   * the same process wake that process's subscriptions at once.
   */
  pollingIntervalMs?: number;
  /**
   * A job still unfinished this long after it started is delivered again; it must exceed the
   * longest handler. Set by the subscribing side on its queues. Default 30 s.
   */
  expireInSeconds?: number;
  /** How often pg-boss sweeps expired jobs (and archives old ones). Default 15 s, minimum 1. */
  maintenanceIntervalSeconds?: number;
  /** Backoff before fetching again after a handler rejection: doubles from this... Default 200 ms. */
  retryBackoffMs?: number;
  /** ...up to this. Default 5 s. */
  maxRetryBackoffMs?: number;
  /** How long publish retries transient connection errors before rejecting. Default 30 s. */
  publishRetryMs?: number;
  /** How long Subscription.stop() waits for a running handler before abandoning it (as a crash would). Default 5 s. */
  stopGraceMs?: number;
  logger?: Pick<Console, 'warn'>;
}

interface JobData {
  topic: string;
  key: string;
  id: string;
  value: string;
}

interface Settings {
  pollingIntervalMs: number;
  expireInSeconds: number;
  retryBackoffMs: number;
  maxRetryBackoffMs: number;
  stopGraceMs: number;
  logger: Pick<Console, 'warn'>;
}

/** pg-boss's retry counter is an int; this many retries is "never give up", as a Kafka consumer does. */
const RETRY_FOREVER = 1_000_000_000;

export function queueName(group: string, topic: string): string {
  return `${group}__${topic}`;
}

// Publishes wake subscriptions of the same process without waiting for their next poll.
const localWakers = new Map<string, Set<() => void>>();

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
  const settings: Settings = {
    pollingIntervalMs: options.pollingIntervalMs ?? 500,
    expireInSeconds: options.expireInSeconds ?? 30,
    retryBackoffMs: options.retryBackoffMs ?? 200,
    maxRetryBackoffMs: options.maxRetryBackoffMs ?? 5_000,
    stopGraceMs: options.stopGraceMs ?? 5_000,
    logger: options.logger ?? console,
  };
  const publishRetryMs = options.publishRetryMs ?? 30_000;
  const wakeKey = (queue: string) => `${options.connectionString}|${schema}|${queue}`;

  // Our own pool instead of pg-boss's: pg-boss cannot be restarted after a failed start() and its
  // pool would leak; with ours a failed start is retried by a fresh PgBoss on the same pool.
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 5,
    application_name: options.applicationName ?? 'bazaar-events',
  });
  // Idle clients killed by the server (restart, outage) emit 'error'; unhandled it would crash us.
  pool.on('error', (error) => settings.logger.warn(`events (postgres): idle connection lost: ${error.message}`));
  const db: PgBoss.Db = {
    executeSql: (text, values) => pool.query(text, values),
  };

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
      boss.on('error', (error) => settings.logger.warn(`events (postgres): pg-boss: ${error.message}`));
      try {
        return await boss.start();
      } catch (error) {
        booting = undefined;
        throw error;
      }
    })();
    return booting;
  };

  let publishTail: Promise<unknown> = Promise.resolve();
  const subscriptions = subscriptionRegistry();
  let closed = false;

  async function insert(messages: readonly TransportMessage[]): Promise<string[]> {
    const boss = await ready();
    const topics = [...new Set(messages.map((m) => m.topic))];
    const { rows } = await pool.query<{ event: string; name: string }>(
      `SELECT event, name FROM ${schema}.subscription WHERE event = ANY($1::text[])`,
      [topics],
    );
    const queuesByTopic = new Map<string, string[]>();
    for (const row of rows) queuesByTopic.set(row.event, [...(queuesByTopic.get(row.event) ?? []), row.name]);

    const jobs: PgBoss.JobInsert<JobData>[] = [];
    for (const message of messages) {
      const data: JobData = { topic: message.topic, key: message.key, id: message.id, value: message.value };
      for (const queue of queuesByTopic.get(message.topic) ?? []) {
        jobs.push({ id: timeOrderedUuid(), name: queue, data, singletonKey: message.key });
      }
    }
    // No subscribed group: like Kafka with no consumer group yet, except nothing is retained.
    if (jobs.length > 0) await boss.insert(jobs);
    return [...new Set(jobs.map((j) => j.name))];
  }

  async function publishWithRetry(messages: readonly TransportMessage[]): Promise<void> {
    const deadline = Date.now() + publishRetryMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const queues = await insert(messages);
        for (const queue of queues) for (const wake of localWakers.get(wakeKey(queue)) ?? []) wake();
        return;
      } catch (error) {
        if (closed || !isTransient(error) || Date.now() >= deadline) throw error;
        await sleep(Math.min(100 * 2 ** attempt, 2_000, Math.max(0, deadline - Date.now())));
      }
    }
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
      await registerGroupQueues(await ready(), group, topics, settings);
    },

    async subscribe(subscribeOptions) {
      if (closed) throw new Error('postgres transport is closed');
      const boss = await ready();
      const subscription = await startSubscription(boss, subscribeOptions, settings, wakeKey);
      return subscriptions.track(subscription);
    },

    async close() {
      if (closed) return;
      closed = true;
      await subscriptions.stopAll();
      await publishTail;
      const boss = await booting?.catch(() => undefined);
      await boss?.stop({ graceful: false, close: false });
      await pool.end();
    },
  };
}

/** Creates the group's queues (idempotently) and subscribes them to their topics; returns the queue names. */
async function registerGroupQueues(boss: PgBoss, group: string, topics: readonly string[], settings: Settings): Promise<string[]> {
  const names: string[] = [];
  for (const topic of new Set(topics)) {
    const name = queueName(group, topic);
    const queue: PgBoss.Queue = {
      name,
      policy: 'singleton',
      retryLimit: RETRY_FOREVER,
      // Zero delay keeps a failed job the oldest eligible one, so nothing of its key overtakes it;
      // the backoff happens in QueueConsumer instead.
      retryDelay: 0,
      retryBackoff: false,
      expireInSeconds: settings.expireInSeconds,
    };
    if (!(await boss.getQueue(name))) await createQueue(boss, queue);
    // Applies these settings to the jobs inserted from now on.
    await boss.updateQueue(name, queue);
    await boss.subscribe(topic, name);
    names.push(name);
  }
  return names;
}

async function startSubscription(
  boss: PgBoss,
  { group, topics, handle }: SubscribeOptions,
  settings: Settings,
  wakeKey: (queue: string) => string,
): Promise<Subscription> {
  const queues = await registerGroupQueues(boss, group, topics, settings);
  const consumers = queues.map((name) => new QueueConsumer(boss, name, handle, settings, wakeKey(name)));
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
    for (let attempt = 1; ; attempt++) {
      try {
        await boss.createQueue(queue.name, queue); // a no-op when the queue exists
        return;
      } catch (error) {
        if ((error as { code?: unknown }).code !== '40P01' || attempt >= 5) throw error;
        await sleep(50 + Math.random() * 200);
      }
    }
  });
  queueCreation = run.catch(() => undefined);
  return run;
}

type Outcome = 'handled' | 'failed' | 'expired' | 'abandoned';

/**
 * One member's loop over one queue, built on pg-boss's fetch/complete/fail rather than work():
 * work() neither awaits complete/fail (a failed complete is an unhandled rejection, and the next
 * fetch may run before a fail lands) nor lets a stop abandon a stuck handler.
 */
class QueueConsumer {
  private stopping = false;
  private running: Promise<void> = Promise.resolve();
  private wakeIdle: (() => void) | undefined;
  private wakeBackoff: (() => void) | undefined;
  private abandon: () => void = () => {};
  private readonly abandoned: Promise<'abandoned'>;
  private abandonedNow = false;

  constructor(
    private readonly boss: PgBoss,
    private readonly queue: string,
    private readonly handle: SubscribeOptions['handle'],
    private readonly settings: Settings,
    private readonly wakeKey: string,
  ) {
    this.abandoned = new Promise((resolve) => {
      this.abandon = () => {
        this.abandonedNow = true;
        resolve('abandoned');
      };
    });
  }

  private readonly onPublish = (): void => this.wakeIdle?.();

  start(): void {
    const wakers = localWakers.get(this.wakeKey) ?? new Set();
    wakers.add(this.onPublish);
    localWakers.set(this.wakeKey, wakers);
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeIdle?.();
    this.wakeBackoff?.();
    const timer = setTimeout(() => this.abandon(), this.settings.stopGraceMs);
    try {
      await this.running;
    } finally {
      clearTimeout(timer);
      const wakers = localWakers.get(this.wakeKey);
      wakers?.delete(this.onPublish);
      if (wakers?.size === 0) localWakers.delete(this.wakeKey);
    }
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      // pg-boss's fetch returns [] on any error (also when the oldest job's key is busy elsewhere).
      const [job] = await this.boss.fetch<JobData>(this.queue, { batchSize: 1 });
      if (!job) {
        await this.pause(this.settings.pollingIntervalMs, 'idle');
        continue;
      }
      const outcome = await this.process(job);
      if (outcome === 'failed') {
        failures++;
        const backoff = Math.min(this.settings.retryBackoffMs * 2 ** (failures - 1), this.settings.maxRetryBackoffMs);
        await this.pause(backoff, 'backoff');
      } else {
        failures = 0;
      }
    }
  }

  private async process(job: PgBoss.Job<JobData>): Promise<Outcome> {
    const expireMs = (Number(job.expireInSeconds) || this.settings.expireInSeconds) * 1000;
    const deadline = Date.now() + expireMs;
    const { topic, key, id, value } = job.data;
    const handled = Promise.resolve().then(() => this.handle({ topic, key, id, value }));
    let error: unknown;
    let expiryTimer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race<Outcome>([
      handled.then(
        () => 'handled',
        (e: unknown) => {
          error = e;
          return 'failed';
        },
      ),
      new Promise<'expired'>((resolve) => {
        expiryTimer = setTimeout(() => resolve('expired'), expireMs);
      }),
      this.abandoned,
    ]);
    clearTimeout(expiryTimer);

    if (outcome === 'handled') {
      await this.settle(deadline, () => this.boss.complete(this.queue, job.id));
    } else if (outcome === 'failed') {
      await this.settle(deadline, () => this.boss.fail(this.queue, job.id, { message: errorMessage(error) }));
    } else {
      // Left `active`: pg-boss expires it and the group gets it again, as after a crash.
      handled.catch(() => {});
      if (outcome === 'expired') {
        this.settings.logger.warn(`events (postgres): handler for ${this.queue} job ${job.id} exceeded ${expireMs} ms; it will be redelivered`);
      }
    }
    return outcome;
  }

  /** Records an outcome, riding out a broker outage until the job would expire anyway. */
  private async settle(deadline: number, record: () => Promise<unknown>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await record();
        return;
      } catch (error) {
        if (this.abandonedNow || Date.now() >= deadline) {
          this.settings.logger.warn(`events (postgres): could not record a job outcome on ${this.queue}, it will be redelivered: ${errorMessage(error)}`);
          return;
        }
        await sleep(Math.min(100 * 2 ** attempt, 2_000));
      }
    }
  }

  private pause(ms: number, kind: 'idle' | 'backoff'): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (kind === 'idle') this.wakeIdle = undefined;
        else this.wakeBackoff = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      if (kind === 'idle') this.wakeIdle = done;
      else this.wakeBackoff = done;
    });
  }
}

/** Connection loss, server shutdown/startup, a database refusing connections, too many clients. */
function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return /connection|terminat|timeout/i.test(error.message);
  if (/^E[A-Z]+$/.test(code)) return true; // ECONNREFUSED, ECONNRESET, ETIMEDOUT, ...
  return /^(08|53|57)/.test(code) || code === '55000' || code === '40001' || code === '40P01';
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

let lastMs = 0;
let sequence = 0;

/**
 * UUIDv7 with a per-process counter: ids of one INSERT share `created_on`, so pg-boss falls back to
 * ordering them by id, which must then follow publication order.
 */
function timeOrderedUuid(): string {
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    sequence = 0;
  } else if (++sequence > 0xfff) {
    lastMs++;
    sequence = 0;
  }
  const bytes = randomBytes(16);
  bytes.writeUIntBE(lastMs, 0, 6);
  bytes[6] = 0x70 | (sequence >> 8);
  bytes[7] = sequence & 0xff;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
