import { tracing } from '@opentelemetry/sdk-node';
import { SERVICE_ATTRIBUTE, startTracing } from './tracing';

export type RecordedSpan = tracing.ReadableSpan;

export interface SpanRecorder {
  spans(): RecordedSpan[];
  /** The spans of one trace. */
  trace(traceId: string): RecordedSpan[];
  reset(): void;
}

/**
 * Tests only: records every finished span of this process in memory. Call it before the services
 * start (in `vi.hoisted`), so the instrumentations hook `pg` and `graphql` as they load.
 */
export function recordSpansInMemory(): SpanRecorder {
  const exporter = new tracing.InMemorySpanExporter();
  startTracing({ service: 'test', spanProcessors: [new tracing.SimpleSpanProcessor(exporter)] });
  return {
    spans: () => exporter.getFinishedSpans(),
    trace: (traceId) => exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId),
    reset: () => exporter.reset(),
  };
}

/** The service a span belongs to: its own `bazaar.service`, else its nearest ancestor's. */
export function serviceOfSpan(span: RecordedSpan, byId: ReadonlyMap<string, RecordedSpan>): string | undefined {
  for (let current: RecordedSpan | undefined = span; current; current = parentOf(current, byId)) {
    const service = current.attributes[SERVICE_ATTRIBUTE];
    if (typeof service === 'string') return service;
  }
  return undefined;
}

const parentOf = (span: RecordedSpan, byId: ReadonlyMap<string, RecordedSpan>) => {
  const parentId = span.parentSpanContext?.spanId;
  return parentId ? byId.get(parentId) : undefined;
};

const millis = (time: [number, number]) => time[0] * 1_000 + time[1] / 1_000_000;

/**
 * One trace as an indented tree with each span's service, start offset and duration, the way a
 * trace viewer's waterfall reads (what docs/observability.md shows for one checkout).
 */
export function renderTraceTree(spans: readonly RecordedSpan[]): string {
  const byId = new Map(spans.map((span) => [span.spanContext().spanId, span]));
  const children = new Map<string | undefined, RecordedSpan[]>();
  for (const span of spans) {
    const parent = parentOf(span, byId) ? span.parentSpanContext?.spanId : undefined;
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  const start = Math.min(...spans.map((span) => millis(span.startTime)));
  const lines: string[] = [];
  const visit = (span: RecordedSpan, depth: number) => {
    const offset = (millis(span.startTime) - start).toFixed(1);
    const duration = millis(span.duration).toFixed(1);
    lines.push(`${'  '.repeat(depth)}${span.name} [${serviceOfSpan(span, byId) ?? '?'}] +${offset} ms, ${duration} ms`);
    const below = (children.get(span.spanContext().spanId) ?? []).sort((a, b) => millis(a.startTime) - millis(b.startTime));
    for (const child of below) visit(child, depth + 1);
  };
  for (const root of (children.get(undefined) ?? []).sort((a, b) => millis(a.startTime) - millis(b.startTime))) visit(root, 0);
  return lines.join('\n');
}
