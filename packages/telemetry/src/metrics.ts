import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Distinct operation names one service keeps as labels; later ones count as `other` (clients choose names). */
const MAX_OPERATION_LABELS = 200;

export type EventOutcome = 'handled' | 'duplicate' | 'retried' | 'parked';

export interface GaugeSample {
  labels?: Record<string, string>;
  value: number;
}

/**
 * One service's Prometheus series (each labelled with `service`), served on its `/metrics`.
 * A registry per service, not prom-client's global one: test stacks run every service in one
 * process. docs/observability.md lists the series.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly operations = new Set<string>();
  private readonly requests: Counter<'operation' | 'code'>;
  private readonly requestErrors: Counter<'operation' | 'code'>;
  private readonly requestDuration: Histogram<'operation'>;
  private readonly events: Counter<'consumer' | 'type' | 'outcome'>;
  private readonly throttled: Counter<'rule'>;
  private readonly findings: Counter<'finding'>;

  constructor(readonly service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry, prefix: 'bazaar_process_' });
    const registers = [this.registry];
    this.requests = new Counter({ name: 'bazaar_graphql_requests_total', help: 'GraphQL requests answered, by operation and outcome code (OK or the first error code)', labelNames: ['operation', 'code'], registers });
    this.requestErrors = new Counter({ name: 'bazaar_graphql_errors_total', help: 'GraphQL errors returned, by operation and extensions.code', labelNames: ['operation', 'code'], registers });
    this.requestDuration = new Histogram({
      name: 'bazaar_graphql_request_duration_seconds',
      help: 'Time from receiving a GraphQL request to sending its answer',
      labelNames: ['operation'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.events = new Counter({ name: 'bazaar_events_total', help: 'Events delivered to this service’s consumer, by outcome: handled, duplicate (already applied), retried, parked', labelNames: ['consumer', 'type', 'outcome'], registers });
    this.throttled = new Counter({ name: 'bazaar_throttled_total', help: 'Requests refused by a throttling rule (TOO_MANY_REQUESTS)', labelNames: ['rule'], registers });
    this.findings = new Counter({ name: 'bazaar_payments_reconciler_findings_total', help: 'What the payments reconciler put right, by kind', labelNames: ['finding'], registers });
  }

  /** One answered GraphQL request. */
  request(operation: string, errorCodes: readonly string[], durationSeconds: number) {
    const label = this.operationLabel(operation);
    this.requests.inc({ operation: label, code: errorCodes[0] ?? 'OK' });
    for (const code of errorCodes) this.requestErrors.inc({ operation: label, code });
    this.requestDuration.observe({ operation: label }, durationSeconds);
  }

  event(consumer: string, type: string, outcome: EventOutcome) {
    this.events.inc({ consumer, type, outcome });
  }

  throttledBy(rule: string) {
    this.throttled.inc({ rule });
  }

  reconcilerFound(finding: string, count: number) {
    if (count > 0) this.findings.inc({ finding }, count);
  }

  /** A counter of this service's own, e.g. the router's answers by how they were shaped. */
  counter<Label extends string>(name: string, help: string, labelNames: readonly Label[]): Counter<Label> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  /** A gauge read when Prometheus scrapes (e.g. a count in the database); a failed read leaves it out of that scrape. */
  gaugeOnScrape(name: string, help: string, labelNames: readonly string[], read: () => Promise<GaugeSample[]>) {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const sample of await read().catch(() => [])) {
          if (sample.labels) this.set(sample.labels, sample.value);
          else this.set(sample.value);
        }
      },
    });
  }

  /** The exposition text for `/metrics`. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private operationLabel(operation: string) {
    if (this.operations.has(operation)) return operation;
    if (this.operations.size >= MAX_OPERATION_LABELS) return 'other';
    this.operations.add(operation);
    return operation;
  }
}
