/**
 * "Ready" for `npm start` means the projections know everything already published: no event waits
 * in a service's outbox, none waits in the Postgres broker for a consumer group. Meanwhile the
 * launcher prints each group's progress, e.g. `cart 1,200 / 2,840 events`.
 */
import pg from 'pg';

export interface CatchUpOptions {
  /** The pg-boss broker database. */
  eventsDatabaseUrl: string;
  /** Each service's own database, which holds its outbox. */
  databaseUrls: Record<string, string>;
  /** Jobs completed since then count as this start's progress. */
  since: Date;
  log: (line: string) => void;
  progressEveryMs?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface CatchUpResult {
  complete: boolean;
  /** What still waits, per consumer group (and `outboxes`), when not complete. */
  pending: Record<string, number>;
}

interface GroupProgress {
  group: string;
  pending: number;
  done: number;
}

const POLL_MS = 200;

export async function waitForCatchUp(options: CatchUpOptions): Promise<CatchUpResult> {
  const progressEveryMs = options.progressEveryMs ?? 2_000;
  const deadline = Date.now() + (options.timeoutMs ?? 600_000);
  const broker = new pg.Pool({ connectionString: options.eventsDatabaseUrl, max: 1 });
  const outboxes = Object.entries(options.databaseUrls).map(([service, url]) => ({ service, pool: new pg.Pool({ connectionString: url, max: 1 }) }));
  for (const pool of [broker, ...outboxes.map(({ pool }) => pool)]) pool.on('error', () => {});
  let lastProgress = Date.now();
  let quietPolls = 0;
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      // Outboxes before the broker: an event moves from the first to the second, never back.
      const unpublished = (await Promise.all(outboxes.map(({ pool }) => countUnpublished(pool)))).reduce((sum, n) => sum + n, 0);
      const groups = await groupProgress(broker, options.since);
      const pending = groups.reduce((sum, { pending }) => sum + pending, 0);
      // Twice in a row: a consumer may commit an effect (and its new outbox row) between our reads.
      quietPolls = unpublished === 0 && pending === 0 ? quietPolls + 1 : 0;
      if (quietPolls >= 2) return { complete: true, pending: {} };
      if (Date.now() > deadline) {
        return { complete: false, pending: { ...Object.fromEntries(groups.map(({ group, pending }) => [group, pending])), outboxes: unpublished } };
      }
      if (Date.now() - lastProgress >= progressEveryMs && (pending > 0 || unpublished > 0)) {
        lastProgress = Date.now();
        options.log(`catching up: ${describe(groups, unpublished)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } finally {
    await Promise.all([broker, ...outboxes.map(({ pool }) => pool)].map((pool) => pool.end()));
  }
}

async function countUnpublished(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM outbox_events WHERE published_at IS NULL');
  return Number(rows[0]?.n ?? 0);
}

/** Per consumer group (queues are named `${group}__${topic}`): jobs waiting or running, and done since `since`. */
async function groupProgress(broker: pg.Pool, since: Date): Promise<GroupProgress[]> {
  const { rows } = await broker.query<{ grp: string; pending: string; done: string }>(
    `SELECT split_part(name, '__', 1) AS grp,
            count(*) FILTER (WHERE state < 'completed') AS pending,
            count(*) FILTER (WHERE state = 'completed' AND completed_on >= $1) AS done
       FROM pgboss.job GROUP BY 1 ORDER BY 1`,
    [since],
  );
  return rows.map(({ grp, pending, done }) => ({ group: grp, pending: Number(pending), done: Number(done) }));
}

function describe(groups: GroupProgress[], unpublished: number): string {
  const parts = groups.filter(({ pending }) => pending > 0).map(({ group, pending, done }) => `${group} ${format(done)} / ${format(done + pending)} events`);
  if (unpublished > 0) parts.push(`${format(unpublished)} events still to publish`);
  return parts.join(', ');
}

const format = (n: number) => n.toLocaleString('en-US');
