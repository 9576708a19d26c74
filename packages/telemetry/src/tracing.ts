import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { createRequire } from 'node:module';
import type * as GraphQLInstrumentations from '@opentelemetry/instrumentation-graphql';
import type * as HttpInstrumentations from '@opentelemetry/instrumentation-http';
import type * as PgInstrumentations from '@opentelemetry/instrumentation-pg';
import type * as UndiciInstrumentations from '@opentelemetry/instrumentation-undici';
import type * as Sdk from '@opentelemetry/sdk-node';
import type { NodeSDK, tracing } from '@opentelemetry/sdk-node';

/**
 * The SDK and its instrumentations are loaded only when tracing is on: loading them took about a
 * second of CPU in every process, most of a service's start once it runs from a bundle. They are
 * CommonJS packages, so `require` loads exactly what a static import did, synchronously, before the
 * libraries they hook are loaded.
 */
const require = createRequire(import.meta.url);
const tracingSdk = () => ({
  ...(require('@opentelemetry/sdk-node') as typeof Sdk),
  ...(require('@opentelemetry/instrumentation-graphql') as typeof GraphQLInstrumentations),
  ...(require('@opentelemetry/instrumentation-http') as typeof HttpInstrumentations),
  ...(require('@opentelemetry/instrumentation-pg') as typeof PgInstrumentations),
  ...(require('@opentelemetry/instrumentation-undici') as typeof UndiciInstrumentations),
});

/** The attribute that names the service a span belongs to, also when several share one process (test stacks). */
export const SERVICE_ATTRIBUTE = 'bazaar.service';

const tracer = () => trace.getTracer('@bazaar/telemetry');

export interface TracingOptions {
  /** The resource's service.name (OTEL_SERVICE_NAME wins when set). */
  service: string;
  /** Tests: record spans here (e.g. an in-memory exporter) instead of what OTEL_TRACES_EXPORTER names. */
  spanProcessors?: tracing.SpanProcessor[];
  env?: Record<string, string | undefined>;
}

export interface Tracing {
  readonly enabled: boolean;
  stop(): Promise<void>;
}

let running: { sdk: NodeSDK } | undefined;

/** Whether the standard variables ask for traces: OTEL_TRACES_EXPORTER set to something other than none, and the SDK not disabled. */
export function tracingRequested(env: Record<string, string | undefined>): boolean {
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((name) => name.trim()).filter(Boolean);
  return exporters.length > 0 && !exporters.includes('none') && env.OTEL_SDK_DISABLED !== 'true';
}

/**
 * Starts OpenTelemetry for this process, once: the first caller wins, later calls (more services
 * in one test process) share it. Off unless OTEL_TRACES_EXPORTER asks for an exporter (`console`,
 * `otlp` with OTEL_EXPORTER_OTLP_ENDPOINT, ...) or span processors are given. Instrumented: outgoing
 * HTTP (node:http and undici/fetch, which carry `traceparent` to the next service), every SQL
 * statement (pg, which Prisma's adapter uses) and GraphQL parse/validate/execute. Incoming requests
 * get their server span from the shared request handling (`routeRequests` in @bazaar/service), so it carries the
 * route and the service's name without a module loader hook.
 */
export function startTracing(options: TracingOptions): Tracing {
  const env = options.env ?? process.env;
  if (running) return { enabled: true, stop: async () => {} };
  if (!options.spanProcessors && !tracingRequested(env)) return { enabled: false, stop: async () => {} };
  const { NodeSDK, HttpInstrumentation, UndiciInstrumentation, PgInstrumentation, GraphQLInstrumentation } = tracingSdk();
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ?? options.service,
    ...(options.spanProcessors ? { spanProcessors: options.spanProcessors } : {}),
    instrumentations: [
      // Incoming requests get their span from the shared request handling (routeRequests), named by route.
      // Not `ignoreIncomingRequestHook`: an ignored request runs with tracing suppressed, spans and all.
      new HttpInstrumentation({ disableIncomingRequestInstrumentation: true }),
      new UndiciInstrumentation(),
      new PgInstrumentation({ requireParentSpan: true }),
      new GraphQLInstrumentation({ mergeItems: true, ignoreTrivialResolveSpans: true }),
    ],
  });
  sdk.start();
  running = { sdk };
  return {
    enabled: true,
    async stop() {
      if (running?.sdk === sdk) await stopTracing();
    },
  };
}

/** Sends the spans still buffered and stops tracing (before the process exits). */
export async function stopTracing(): Promise<void> {
  const current = running;
  running = undefined;
  await current?.sdk.shutdown();
}

/** The W3C `traceparent` of the active span, to carry a trace where headers cannot (the event envelope). */
export function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/** The active span's trace id, for log lines (undefined when tracing is off). */
export function currentTraceId(): string | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext && trace.isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

/** A context whose parent is the given `traceparent` (the active one when absent or malformed). */
export function contextFrom(carrier: { traceparent?: string | undefined; tracestate?: string | undefined }): Context {
  const headers: Record<string, string> = {};
  if (carrier.traceparent) headers.traceparent = carrier.traceparent;
  if (carrier.tracestate) headers.tracestate = carrier.tracestate;
  return propagation.extract(context.active(), headers);
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** The parent: a context from `contextFrom`; the active context by default. */
  parent?: Context;
}

/**
 * Runs `work` inside a new span (its context active for everything `work` starts), ending it when
 * `work` settles; a failure is recorded on the span and rethrown.
 */
export function inSpan<T>(name: string, options: SpanOptions, work: (span: Span) => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes ?? {} }, options.parent ?? context.active(), async (span) => {
    let result: T;
    try {
      result = await work(span);
    } catch (error) {
      endSpanWithError(span, error);
      throw error;
    }
    span.end();
    return result;
  });
}

export { SpanKind, SpanStatusCode, type Span };

/** Starts a span that the caller ends (for work that is not one callback, e.g. many messages in one publish). */
export function startSpan(name: string, options: SpanOptions): Span {
  return tracer().startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes ?? {} }, options.parent ?? context.active());
}

/** Ends a span as failed with `error`. */
export function endSpanWithError(span: Span, error: unknown) {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  span.end();
}
