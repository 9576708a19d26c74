import type pg from 'pg';
import type { EventConsumer, EventTransport, SqlRunner } from '@bazaar/events';
import type { ServiceMetrics } from '@bazaar/telemetry';
import { CONSUMER_GROUPS } from '@bazaar/topology';

/**
 * The gauges every subgraph reports, read when Prometheus scrapes: its database pool, its outbox
 * (what the relay has not published yet, and how long the oldest has waited), its dead letters,
 * and how far its consumer group is behind on the transport.
 */
export function observeServiceState<Tx extends SqlRunner>(
  metrics: ServiceMetrics,
  state: { pool: pg.Pool; transport: EventTransport; consumer: EventConsumer<Tx> | undefined },
) {
  const { pool, transport, consumer } = state;
  metrics.gaugeOnScrape('bazaar_db_pool_connections', 'Connections of the service’s database pool, by state (total, idle, waiting clients)', ['state'], async () => [
    { labels: { state: 'total' }, value: pool.totalCount },
    { labels: { state: 'idle' }, value: pool.idleCount },
    { labels: { state: 'waiting' }, value: pool.waitingCount },
  ]);
  // One query for both outbox gauges per scrape would need a shared cache; two cheap indexed reads are simpler.
  metrics.gaugeOnScrape('bazaar_outbox_backlog', 'Outbox rows not yet published by the relay', [], async () => {
    const { rows } = await pool.query<{ count: number }>('SELECT count(*)::int AS count FROM outbox_events WHERE published_at IS NULL');
    return [{ value: rows[0]?.count ?? 0 }];
  });
  metrics.gaugeOnScrape('bazaar_outbox_oldest_unpublished_age_seconds', 'Age of the oldest unpublished outbox row (0 when none waits)', [], async () => {
    const { rows } = await pool.query<{ age: number | null }>(
      'SELECT extract(epoch FROM now() - min(created_at))::float8 AS age FROM outbox_events WHERE published_at IS NULL',
    );
    return [{ value: rows[0]?.age ?? 0 }];
  });
  metrics.gaugeOnScrape('bazaar_dead_letters', 'Events parked in the service’s dead-letter table, by consumer group', ['consumer'], async () => {
    const { rows } = await pool.query<{ consumer: string; count: number }>('SELECT consumer, count(*)::int AS count FROM dead_letter_events GROUP BY consumer');
    const counts = new Map(rows.map((row) => [row.consumer, row.count]));
    // Present at 0 too, so a dashboard tells "none" from "not reported".
    const own = consumer?.name ?? metrics.service;
    if (!counts.has(own)) counts.set(own, 0);
    return [...counts].map(([group, count]) => ({ labels: { consumer: group }, value: count }));
  });
  const topics = consumer ? CONSUMER_GROUPS[consumer.name] : undefined;
  const readLag = transport.lag?.bind(transport);
  if (consumer && topics && readLag) {
    metrics.gaugeOnScrape('bazaar_consumer_lag', 'Events published to the group’s topics that it has not handled yet', ['group'], async () => [
      { labels: { group: consumer.name }, value: await readLag(consumer.name, topics) },
    ]);
  }
}

/** How long /ready waits for the event transport to answer. */
const TRANSPORT_PROBE_MS = 2_000;

/**
 * Whether the event transport answers (a lag reading of the service's group). Reported, not made a
 * reason for 503: while the broker is away the service still answers queries and its mutations
 * wait in the outbox, so taking it out of the load balancer would only make things worse.
 */
export async function transportReadiness<Tx extends SqlRunner>(transport: EventTransport, consumer: EventConsumer<Tx> | undefined): Promise<string> {
  const topics = consumer ? CONSUMER_GROUPS[consumer.name] : undefined;
  if (!consumer || !topics || !transport.lag) return `${transport.kind}: not consumed here`;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), TRANSPORT_PROBE_MS)));
  try {
    await Promise.race([transport.lag(consumer.name, topics), timeout]);
    return `${transport.kind}: reachable`;
  } catch {
    return `${transport.kind}: unreachable`;
  } finally {
    clearTimeout(timer);
  }
}
