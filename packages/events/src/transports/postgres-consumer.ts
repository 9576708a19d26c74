/**
 * One member's consumption of one pg-boss queue: fetches up to `batchSize` jobs at once, at most
 * one per key and only a key's oldest unfinished job, and handles them in parallel; a finished job
 * makes room for the next fetch at once, a notification wakes an idle consumer, and a slow poll
 * covers missed notifications.
 *
 * pg-boss's own fetch does not fit: with a batch it may activate a later job of a key before an
 * earlier one (its per-key gate has no order), and one active key makes the whole fetch fail.
 * So fetch, completion, failure and hand-back are statements of ours over pg-boss's job table;
 * pg-boss still creates the queues, expires and archives.
 */
import pg from 'pg';
import type { SubscribeOptions, TransportMessage } from '../transport';
import { retrying } from '@bazaar/service';
import { jobsChannel, preparedName, type BrokerMember } from './postgres-member';

interface JobData {
  topic: string;
  key: string;
  id: string;
  value: string;
}

export interface ConsumerSettings {
  schema: string;
  /** Jobs of one queue handled at once by one member (different keys). */
  batchSize: number;
  /** Fallback poll when no notification arrives. */
  pollingIntervalMs: number;
  expireInSeconds: number;
  retryBackoffMs: number;
  maxRetryBackoffMs: number;
  stopGraceMs: number;
  logger: Pick<Console, 'warn'>;
}

interface FetchedJob {
  id: string;
  data: JobData;
  expire_seconds: number;
  retry_count: number;
}

type Outcome = 'handled' | 'failed' | 'expired' | 'abandoned';

/** The index our fetch needs: a key's unfinished jobs in order. Created once per broker. */
export function keyOrderIndexSql(schema: string): string {
  return `CREATE INDEX IF NOT EXISTS job_bazaar_key_order ON ${schema}.job (name, singleton_key, created_on, id) WHERE state <= 'active'`;
}

export class QueueConsumer {
  private stopping = false;
  private running: Promise<void> = Promise.resolve();
  private readonly inFlight = new Map<string, Promise<Outcome>>();
  private signalled = false;
  /**
   * Jobs may be waiting: a notification came, a finished job's key has a next job, the last fetch
   * came back full or failed, a retry fell due, or the fallback poll is due. Without it a finished
   * job only makes room: fetching after every job found nothing half of the time (a checkout's
   * 12 fetches for 6 jobs, the events database's largest cost).
   */
  private lookDue = true;
  private lastLookAt = 0;
  private wakeLoop: (() => void) | undefined;
  private unsubscribe: () => void = () => {};
  private abandon: () => void = () => {};
  private readonly abandoned: Promise<'abandoned'>;
  private abandonedNow = false;
  private fetchFailures = 0;
  /** The last fetch came back full: more jobs are waiting (see fetch). */
  private backlogged = false;
  private completions: { jobId: string; deadline: number; recorded: () => void }[] = [];
  /**
   * Jobs fetched (and batched) at once: half of batchSize, halved after a refused batch (a long
   * transaction on contended rows, e.g. many orders for one listing, may time out and is then
   * redone one by one) and grown back by one per applied batch.
   */
  private batchLimit: number;

  constructor(
    private readonly pool: pg.Pool,
    private readonly member: BrokerMember,
    private readonly queue: string,
    private readonly handlers: Pick<SubscribeOptions, 'handle' | 'handleBatch'>,
    private readonly settings: ConsumerSettings,
  ) {
    this.batchLimit = this.maxBatch;
    this.abandoned = new Promise((resolve) => {
      this.abandon = () => {
        this.abandonedNow = true;
        resolve('abandoned');
      };
    });
  }

  start(): void {
    this.unsubscribe = this.member.onJobs(this.queue, () => this.expectJobs());
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.signal();
    const timer = setTimeout(() => this.abandon(), this.settings.stopGraceMs);
    try {
      await this.running;
    } finally {
      clearTimeout(timer);
      this.unsubscribe();
    }
  }

  private signal(): void {
    this.signalled = true;
    this.wakeLoop?.();
  }

  private expectJobs(): void {
    this.lookDue = true;
    this.signal();
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      this.signalled = false;
      const room = this.settings.batchSize - this.inFlight.size;
      // With a backlog, fetch once half the batch is free rather than after every single job; half
      // a batch at a time, so one half is fetched and recorded while the other is being handled.
      // The fallback poll, also when wake-ups keep coming (finished jobs make room but ask for no look).
      if (performance.now() - this.lastLookAt >= this.idleDelay()) this.lookDue = true;
      if (this.lookDue && room > 0 && (room * 2 >= this.settings.batchSize || this.inFlight.size === 0)) {
        this.lookDue = false;
        this.lastLookAt = performance.now();
        const jobs = await this.fetch(Math.min(room, this.batchLimit));
        if (jobs.length > 1 && this.handlers.handleBatch) this.trackBatch(jobs);
        else for (const job of jobs) this.track(job);
      }
      // Until a notification, a finished job (room, or its key's next job) or the fallback poll.
      const untilPoll = this.lookDue ? this.idleDelay() : this.lastLookAt + this.idleDelay() - performance.now();
      await this.waitForSignal(Math.max(1, untilPoll));
    }
    await Promise.all(this.inFlight.values());
  }

  private idleDelay(): number {
    if (this.fetchFailures === 0) return this.settings.pollingIntervalMs;
    return Math.min(this.settings.retryBackoffMs * 2 ** (this.fetchFailures - 1), this.settings.maxRetryBackoffMs);
  }

  private waitForSignal(ms: number): Promise<void> {
    if (this.signalled || this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeLoop = () => {
        this.wakeLoop = undefined;
        done();
      };
    });
  }

  private track(job: FetchedJob): void {
    const outcome = this.process(job);
    this.inFlight.set(job.id, outcome);
    void outcome.finally(() => {
      this.inFlight.delete(job.id);
      this.signal();
    });
  }

  private trackBatch(jobs: FetchedJob[]): void {
    const outcome = this.processBatch(jobs);
    for (const job of jobs) this.inFlight.set(job.id, outcome);
    void outcome.finally(() => {
      for (const job of jobs) this.inFlight.delete(job.id);
      this.signal();
    });
  }

  /**
   * Activates the oldest eligible jobs of distinct keys whose earlier jobs are all finished, and
   * stamps them with this member's identity. SKIP LOCKED lets members fetch side by side; the
   * singleton index (one active job per key) backs the per-key rule up.
   */
  private async fetch(limit: number): Promise<FetchedJob[]> {
    const schema = this.settings.schema;
    const identity = this.member.identity;
    try {
      // In the steady state a named statement with the queue as a literal: each connection plans it
      // once (a generic plan, pruned to the queue's partition) instead of at every fetch, where
      // planning over pg-boss's partitioned job table cost milliseconds, many times the execution.
      // With a backlog (the last fetch came back full) the statement is planned afresh each time:
      // the generic plan was made when the queue was nearly empty, and over thousands of waiting
      // jobs it tripled a first start's catch-up (28.7 s → 88.2 s); planning is cheap beside a full batch.
      const queue = escapeLiteral(this.queue);
      const { rows } = await this.pool.query<FetchedJob>({
        name: this.backlogged ? undefined : preparedName('fetch', `${schema}.${this.queue}`),
        text: `WITH next AS (
           SELECT j.id FROM ${schema}.job j
            WHERE j.name = ${queue} AND j.state < 'active' AND j.start_after <= now()
              AND NOT EXISTS (
                SELECT 1 FROM ${schema}.job earlier
                 WHERE earlier.name = ${queue} AND earlier.singleton_key = j.singleton_key AND earlier.state <= 'active'
                   AND (earlier.created_on, earlier.id) < (j.created_on, j.id))
            ORDER BY j.created_on, j.id
            LIMIT $1
            FOR UPDATE SKIP LOCKED)
         UPDATE ${schema}.job j SET
           state = 'active',
           started_on = now(),
           retry_count = CASE WHEN j.started_on IS NOT NULL THEN j.retry_count + 1 ELSE j.retry_count END,
           output = $2::jsonb
          FROM next WHERE j.name = ${queue} AND j.id = next.id
         RETURNING j.id, j.data, extract(epoch FROM j.expire_in)::int AS expire_seconds, j.retry_count`,
        values: [limit, identity ? JSON.stringify({ memberPid: identity.pid, memberSince: identity.since }) : null],
      });
      this.fetchFailures = 0;
      this.backlogged = rows.length === limit;
      if (this.backlogged) this.lookDue = true;
      return rows;
    } catch (error) {
      this.lookDue = true;
      // A unique violation is two members racing for one key: harmless, the loser looks again.
      if ((error as { code?: unknown }).code !== '23505') {
        this.fetchFailures++;
        if (this.fetchFailures === 1 || this.fetchFailures % 20 === 0) {
          this.settings.logger.warn(`events (postgres): fetching from ${this.queue} failed (${errorMessage(error)}); retrying`);
        }
      }
      return [];
    }
  }

  private get maxBatch(): number {
    return Math.max(1, Math.ceil(this.settings.batchSize / 2));
  }

  /** Jobs fetched together (distinct keys), handled in one go; when that fails, one by one. */
  private async processBatch(jobs: FetchedJob[]): Promise<Outcome> {
    const handleBatch = this.handlers.handleBatch!;
    const { outcome, deadline, expireMs } = await this.run(Math.min(...jobs.map((job) => this.expiryOf(job))), () => handleBatch(jobs.map(toMessage)));
    if (outcome === 'handled') {
      this.batchLimit = Math.min(this.maxBatch, this.batchLimit + 1);
      await Promise.all(jobs.map((job) => this.complete(job.id, deadline)));
    } else if (outcome === 'failed') {
      this.batchLimit = Math.max(1, Math.floor(jobs.length / 2));
      // Nothing was applied: each job on its own now, so each failure gets its own retry or parking.
      const outcomes = await Promise.all(jobs.map((job) => this.process(job)));
      return outcomes.find((each) => each !== 'handled') ?? 'handled';
    } else {
      await Promise.all(jobs.map((job) => this.unfinished(job, outcome, expireMs)));
    }
    return outcome;
  }

  private async process(job: FetchedJob): Promise<Outcome> {
    const { outcome, deadline, expireMs, error } = await this.run(this.expiryOf(job), () => this.handlers.handle(toMessage(job)));
    if (outcome === 'handled') {
      await this.complete(job.id, deadline);
    } else if (outcome === 'failed') {
      const backoff = Math.min(this.settings.retryBackoffMs * 2 ** job.retry_count, this.settings.maxRetryBackoffMs);
      await this.settle(deadline, () => this.handBack(job.id, backoff, errorMessage(error)));
      // Nothing else of this key can start before it; look again when it is due.
      setTimeout(() => this.expectJobs(), backoff + 5).unref();
    } else {
      await this.unfinished(job, outcome, expireMs);
    }
    return outcome;
  }

  private expiryOf(job: FetchedJob): number {
    return (job.expire_seconds || this.settings.expireInSeconds) * 1000;
  }

  /** Runs a handler until it settles, the jobs would expire, or the consumer is stopped. */
  private async run(expireMs: number, handler: () => Promise<void>): Promise<{ outcome: Outcome; deadline: number; expireMs: number; error?: unknown }> {
    const deadline = Date.now() + expireMs;
    const handled = Promise.resolve().then(handler);
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
    if (outcome === 'expired' || outcome === 'abandoned') handled.catch(() => {});
    return { outcome, deadline, expireMs, error };
  }

  private async unfinished(job: FetchedJob, outcome: Outcome, expireMs: number): Promise<void> {
    if (outcome === 'expired') {
      // Left `active`: pg-boss expires it and the group gets it again.
      this.settings.logger.warn(`events (postgres): handler for ${this.queue} job ${job.id} exceeded ${expireMs} ms; it will be redelivered`);
    } else {
      // Stopped mid-handle: give the job back now rather than at its expiry.
      await this.handBack(job.id, 0, 'the consumer stopped before the handler finished').catch(() => {});
    }
  }

  /** Completes jobs finishing in the same tick with one statement. */
  private complete(jobId: string, deadline: number): Promise<void> {
    return new Promise((recorded) => {
      this.completions.push({ jobId, deadline, recorded });
      if (this.completions.length === 1) setImmediate(() => void this.flushCompletions());
    });
  }

  private async flushCompletions(): Promise<void> {
    const batch = this.completions;
    this.completions = [];
    const deadline = Math.min(...batch.map((c) => c.deadline));
    let successorsWaiting = true;
    await this.settle(deadline, async () => {
      successorsWaiting = await this.completeJobs(batch.map((c) => c.jobId));
    });
    if (successorsWaiting) this.lookDue = true;
    for (const completion of batch) completion.recorded();
  }

  /**
   * pg-boss's complete, as a named statement with the queue as a literal: planned once per
   * connection and pruned to the queue's partition, where pg-boss's (the queue a parameter) was
   * planned afresh at every one of a checkout's ten completions, over every partition. Answers
   * whether a completed job's key has a next job waiting, which only now may be fetched.
   */
  private async completeJobs(jobIds: readonly string[]): Promise<boolean> {
    const schema = this.settings.schema;
    const queue = escapeLiteral(this.queue);
    const { rows } = await this.pool.query<{ waiting: boolean }>({
      name: preparedName('complete', `${schema}.${this.queue}`),
      text: `WITH done AS (
               UPDATE ${schema}.job SET completed_on = now(), state = 'completed', output = NULL
                WHERE name = ${queue} AND id = ANY($1::uuid[]) AND state = 'active'
               RETURNING singleton_key)
             SELECT EXISTS (
               SELECT 1 FROM ${schema}.job next
                WHERE next.name = ${queue} AND next.state < 'active' AND next.singleton_key IN (SELECT singleton_key FROM done)) AS waiting`,
      values: [jobIds],
    });
    return rows[0]?.waiting ?? true;
  }

  /** Returns an active job to the queue, due after `delayMs`; it keeps its place before the key's later jobs. */
  private async handBack(jobId: string, delayMs: number, reason: string): Promise<void> {
    await this.pool.query(
      `WITH back AS (
         UPDATE ${this.settings.schema}.job SET state = 'retry', start_after = now() + $3 * interval '1 millisecond',
                output = jsonb_build_object('message', $4::text)
          WHERE name = $1 AND id = $2 AND state = 'active'
         RETURNING name)
       SELECT pg_notify($5, name) FROM back`,
      [this.queue, jobId, delayMs, reason, jobsChannel(this.settings.schema)],
    );
  }

  /** Records an outcome, riding out a broker outage until the job would expire anyway. */
  private async settle(deadline: number, record: () => Promise<unknown>): Promise<void> {
    try {
      await retrying(record, { retryIf: () => !this.abandonedNow, deadline });
    } catch (error) {
      this.settings.logger.warn(`events (postgres): could not record a job outcome on ${this.queue}, it will be redelivered: ${errorMessage(error)}`);
    }
  }
}

/** Quotes a value as an SQL string literal (the queue names are ours, this only makes sure). */
function escapeLiteral(value: string): string {
  return pg.Client.prototype.escapeLiteral(value);
}

function toMessage({ data: { topic, key, id, value } }: FetchedJob): TransportMessage {
  return { topic, key, id, value };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
