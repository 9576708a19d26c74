/**
 * One transport's presence on the Postgres broker: a dedicated connection that LISTENs for "jobs
 * arrived in queue X" notifications and wakes this process's consumers of X, and whose server
 * backend identifies the process as a member. Jobs a member activates carry that identity; when the
 * member's connection is gone (the process died or lost the database), any other member hands its
 * active jobs back to the queue at once instead of waiting for pg-boss's expiry.
 *
 * Members register their identity in a small table (membersTableSql), so the sweep that runs every
 * second asks only "is a registered member gone?" (that table and pg_stat_activity) and touches the
 * job table only when one is. Looking for orphaned jobs directly meant scanning every partition of
 * the job table, completed jobs included: 26–60 ms of Postgres each time, seven members a second,
 * a quarter of Postgres's CPU per checkout. A full look still runs at a member's first sweep and
 * once a minute, for jobs of members that never registered (an older version) or whose hand-back
 * was cut short.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';

/** The connection a member's jobs are tied to: its backend pid and start time (pids are reused). */
export interface MemberIdentity {
  pid: number;
  since: string;
}

export interface MemberOptions {
  connectionString: string;
  applicationName: string;
  schema: string;
  /** How often this member looks for jobs held by members that are gone. */
  sweepIntervalMs: number;
  /** Fallback wake-up of every consumer, for notifications missed while reconnecting. */
  reconnectDelayMs: number;
  logger: Pick<Console, 'warn'>;
}

export const jobsChannel = (schema: string) => `${schema}_jobs`;

/** The members that are connected, or were until their connection went (created once per broker). */
export function membersTableSql(schema: string): string {
  return `CREATE TABLE IF NOT EXISTS ${schema}.bazaar_members (pid int NOT NULL, since text NOT NULL, joined_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (pid, since))`;
}

/** The member an active job's output names. */
const PID = "(j.output->>'memberPid')::int";
const SINCE = "(j.output->>'memberSince')";

/** How often a member looks at every active job, not only those of registered members that went. */
const FULL_SWEEP_EVERY_MS = 60_000;

/** A backend's start as a member's `since`: microseconds since the epoch, as text (pids are reused). */
const sinceOf = (backendStart: string) => `(extract(epoch FROM ${backendStart}) * 1000000)::bigint::text`;

/** pg_stat_activity's backend `a` is the member (pid, since); where the role may not see its start, the pid decides. */
const isMemberBackend = (pid: string, since: string) => `a.pid = ${pid} AND (a.backend_start IS NULL OR ${sinceOf('a.backend_start')} = ${since})`;

export class BrokerMember {
  private client: pg.Client | undefined;
  private current: MemberIdentity | undefined;
  private readonly wakers = new Map<string, Set<() => void>>();
  private closed = false;
  private connecting: Promise<void> | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private lastFullSweep = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: MemberOptions,
  ) {}

  /** This member's identity while its connection is up; jobs fetched without one are recovered only by expiry. */
  get identity(): MemberIdentity | undefined {
    return this.current;
  }

  /** Connects (once) and keeps the connection up until close(). */
  start(): Promise<void> {
    this.connecting ??= this.connect();
    return this.connecting;
  }

  /** Registers a consumer of `queue`; returns its removal. */
  onJobs(queue: string, wake: () => void): () => void {
    const set = this.wakers.get(queue) ?? new Set();
    set.add(wake);
    this.wakers.set(queue, set);
    this.sweepTimer ??= setInterval(() => void this.sweep(), this.options.sweepIntervalMs);
    return () => {
      set.delete(wake);
      if (set.size === 0) this.wakers.delete(queue);
      if (this.wakers.size === 0) {
        clearInterval(this.sweepTimer);
        this.sweepTimer = undefined;
      }
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweepTimer);
    clearTimeout(this.reconnectTimer);
    await this.connecting?.catch(() => {});
    const client = this.client;
    this.client = undefined;
    this.current = undefined;
    await client?.end().catch(() => {});
  }

  private wake(queue: string): void {
    for (const wake of this.wakers.get(queue) ?? []) wake();
  }

  private wakeAll(): void {
    for (const queue of this.wakers.keys()) this.wake(queue);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.options.connectionString,
      application_name: `${this.options.applicationName}:listen`,
    });
    client.on('notification', (message) => {
      if (message.payload) this.wake(message.payload);
    });
    client.on('error', (error) => {
      if (this.client !== client) return;
      this.options.logger.warn(`events (postgres): lost the notification connection (${error.message}); reconnecting`);
      this.client = undefined;
      this.current = undefined;
      client.end().catch(() => {});
      this.scheduleReconnect();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${client.escapeIdentifier(jobsChannel(this.options.schema))}`);
      const { rows } = await client.query<{ pid: number; since: string }>(
        `INSERT INTO ${this.options.schema}.bazaar_members (pid, since)
         SELECT pid, ${sinceOf('backend_start')} FROM pg_stat_activity WHERE pid = pg_backend_pid()
         ON CONFLICT (pid, since) DO UPDATE SET joined_at = now() RETURNING pid, since`,
      );
      if (this.closed) {
        await client.end();
        return;
      }
      this.client = client;
      this.current = rows[0];
      // Anything published while we were not listening is waiting: look now.
      this.wakeAll();
    } catch (error) {
      await client.end().catch(() => {});
      if (this.closed) return;
      this.options.logger.warn(`events (postgres): cannot listen for new jobs yet (${(error as Error).message}); retrying`);
      this.scheduleReconnect();
    }
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      this.connecting = this.connect();
    }, this.options.reconnectDelayMs);
  }

  /**
   * Hands back the active jobs of members whose connection is gone and wakes their queues'
   * consumers everywhere. Jobs stay ordered per key: a handed-back job keeps its place.
   */
  private async sweep(): Promise<void> {
    if (this.closed) return;
    const schema = this.options.schema;
    try {
      // Named, so each connection plans them once.
      const { rows: gone } = await this.pool.query<{ pid: number; since: string }>({
        name: preparedName('members_gone', schema),
        text: `DELETE FROM ${schema}.bazaar_members m WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE ${isMemberBackend('m.pid', 'm.since')}) RETURNING pid, since`,
      });
      const full = Date.now() - this.lastFullSweep >= FULL_SWEEP_EVERY_MS;
      if (gone.length === 0 && !full) return;
      if (full) this.lastFullSweep = Date.now();
      const { rows } = await this.pool.query<{ name: string }>({
        name: preparedName(full ? 'sweep_all' : 'sweep_gone', schema),
        text: `WITH orphaned AS (
           UPDATE ${schema}.job j SET state = 'retry', start_after = now(),
                  output = jsonb_build_object('message', 'the consumer holding this job is gone')
            WHERE j.state = 'active' AND j.output ? 'memberPid'
              AND ${full ? `NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE ${isMemberBackend(PID, SINCE)})` : `(${PID}, ${SINCE}) IN (SELECT * FROM unnest($2::int[], $3::text[]))`}
           RETURNING j.name)
         SELECT name, pg_notify($1, name) FROM (SELECT DISTINCT name FROM orphaned) AS queues`,
        values: full ? [jobsChannel(schema)] : [jobsChannel(schema), gone.map((member) => member.pid), gone.map((member) => member.since)],
      });
      if (rows.length > 0) this.options.logger.warn(`events (postgres): handed back jobs of a vanished consumer in ${rows.map((r) => r.name).join(', ')}`);
    } catch (error) {
      if (!this.closed) this.options.logger.warn(`events (postgres): sweep for vanished consumers failed: ${(error as Error).message}`);
    }
  }
}

/**
 * A prepared statement's name, unique per statement text (`what` + `subject`) and within
 * Postgres's 63-character limit: a connection refuses one name for two texts.
 */
export function preparedName(what: string, subject: string): string {
  return `bazaar_${what}_${createHash('sha1').update(subject).digest('hex').slice(0, 24)}`;
}
