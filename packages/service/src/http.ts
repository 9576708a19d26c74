import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { contextFrom, inSpan, SERVICE_ATTRIBUTE, SpanKind } from '@bazaar/telemetry';
import { PAYLOAD_TOO_LARGE, REQUEST_TIMEOUT, type QueryLimits } from './limits';
import type { Logger } from './logger';
import { bindContextToResponse, logAccess, operationNameOf } from './observability';

class PayloadTooLargeError extends Error {}

async function readBody(request: IncomingMessage, maxBytes: number): Promise<string> {
  const declared = Number(request.headers['content-length']);
  if (declared > maxBytes) throw new PayloadTooLargeError(`The request body is larger than ${maxBytes} bytes.`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new PayloadTooLargeError(`The request body is larger than ${maxBytes} bytes.`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  response.end(JSON.stringify(body));
}

export const sendError = (response: ServerResponse, status: number, code: string, message: string, extensions: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  sendJson(response, status, { errors: [{ message, extensions: { code, ...extensions } }] }, headers);

/**
 * An HTTP server whose clients must send their headers within `headersTimeoutMs` and the whole
 * request within `requestTimeoutMs` (Node answers 408 and closes otherwise), so a trickled body
 * cannot hold a connection open.
 */
export function createHttpServer(limits: Pick<QueryLimits, 'headersTimeoutMs' | 'requestTimeoutMs'>): Server {
  const requestTimeout = Math.max(limits.requestTimeoutMs, limits.headersTimeoutMs);
  return createServer({
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout,
    // How often Node looks for connections past those timeouts (its default, 30 s, would let them overrun).
    connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
  });
}

export interface GraphQLHttpOptions {
  maxBodyBytes: number;
  /** After this long the request is answered REQUEST_TIMEOUT and its signal aborted. */
  budgetMs: number;
  /**
   * Looks at the parsed request before Apollo does; a returned refusal is sent as is and the
   * operation never runs (e.g. a subgraph refusing what the router did not sign).
   */
  admit?(request: IncomingMessage, body: unknown): Refusal | undefined;
}

interface Refusal {
  status: number;
  code: string;
  message: string;
}

const REQUEST_OVER = new DOMException('The request is over.', 'AbortError');

/** Hands one HTTP request to Apollo Server: the node:http equivalent of Apollo's Express integration. */
export async function handleGraphQL<Context extends BaseContext>(
  server: ApolloServer<Context>,
  request: IncomingMessage,
  response: ServerResponse,
  context: (signal: AbortSignal) => Promise<Context>,
  options: GraphQLHttpOptions,
): Promise<void> {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  const url = new URL(request.url ?? '/', 'http://localhost');
  let body: unknown;
  if (request.method === 'POST') {
    let raw: string;
    try {
      raw = await readBody(request, options.maxBodyBytes);
    } catch (error) {
      if (error instanceof PayloadTooLargeError) {
        sendError(response, 413, PAYLOAD_TOO_LARGE, error.message, { limit: 'bodyBytes', max: options.maxBodyBytes }, { connection: 'close' });
        return;
      }
      throw error;
    }
    const contentType = headers.get('content-type') ?? '';
    if (contentType.includes('application/json') && raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        sendError(response, 400, 'BAD_REQUEST', 'The request body is not valid JSON.');
        return;
      }
    } else {
      body = raw;
    }
  }
  const refusal = options.admit?.(request, request.method === 'POST' ? body : url.search);
  if (refusal) {
    sendError(response, refusal.status, refusal.code, refusal.message);
    return;
  }

  const budget = new AbortController();
  const timer = setTimeout(() => budget.abort(), options.budgetMs);
  const timedOut = new Promise<'timeout'>((resolve) => budget.signal.addEventListener('abort', () => resolve('timeout'), { once: true }));
  try {
    const result = await Promise.race([
      server.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: request.method ?? 'GET', headers, search: url.search, body },
        context: async () => bindContextToResponse(await context(budget.signal), response),
      }),
      timedOut,
    ]);
    if (result === 'timeout') {
      sendError(response, 503, REQUEST_TIMEOUT, `The request did not finish within ${options.budgetMs} ms and was stopped.`, { budgetMs: options.budgetMs }, { 'retry-after': '1' });
      return;
    }
    for (const [key, value] of result.headers) response.setHeader(key, value);
    response.statusCode = result.status ?? 200;
    if (result.body.kind === 'complete') {
      response.end(result.body.string);
      return;
    }
    for await (const chunk of result.body.asyncIterator) response.write(chunk);
    response.end();
  } finally {
    clearTimeout(timer);
    // Whatever is still running for this request (resolvers, subgraph calls) sees it is over. One
    // shared reason: `abort()` without one builds a DOMException, stack trace included, per request.
    budget.abort(REQUEST_OVER);
  }
}

export type RouteHandler = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;

export interface RequestRouting {
  /** Names the server spans' service (several services may share one process in tests). */
  service: string;
  logger: Pick<Logger, 'error'>;
  /** Writes one line per answered request (the router's access log). */
  accessLog?: Pick<Logger, 'info'>;
  /** GET routes besides GraphQL, e.g. /health. */
  routes: Record<string, RouteHandler>;
  /** Looks at a request first; true when it answered it (CORS preflight, a landing page). */
  intercept?(request: IncomingMessage, response: ServerResponse, url: URL): boolean;
  /** Answers a GraphQL request (on / or /graphql). */
  graphql(request: IncomingMessage, response: ServerResponse, requestId: string): Promise<void>;
}

/**
 * The HTTP handling the router and every subgraph share: a request id on every answer (the
 * caller's, when well-formed), GET routes, GraphQL on / and /graphql, 404 otherwise, and a failure
 * nobody caught answered as INTERNAL_SERVER_ERROR without details (and logged).
 */
export function routeRequests(server: Server, routing: RequestRouting): void {
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const requestId = requestIdFrom(request);
    response.setHeader('x-request-id', requestId);
    const url = new URL(request.url ?? '/', 'http://localhost');
    const route = routing.routes[url.pathname];
    const answer = async () => {
      if (routing.intercept?.(request, response, url)) return;
      if (route && request.method === 'GET') return route(request, response);
      if (url.pathname !== '/graphql' && url.pathname !== '/') return sendJson(response, 404, { error: 'Not found' });
      await routing.graphql(request, response, requestId);
    };
    // Probes and scrapes (the GET routes) would only bury the requests worth tracing.
    const handle = route
      ? answer
      : () =>
          inSpan(
            `${request.method ?? 'GET'} ${url.pathname}`,
            {
              kind: SpanKind.SERVER,
              parent: contextFrom({ traceparent: headerOf(request, 'traceparent'), tracestate: headerOf(request, 'tracestate') }),
              attributes: { [SERVICE_ATTRIBUTE]: routing.service, 'http.request.method': request.method ?? 'GET', 'url.path': url.pathname, 'bazaar.request_id': requestId },
            },
            async (span) => {
              const { traceId } = span.spanContext();
              if (routing.accessLog) logAccess(routing.accessLog, request, response, { requestId, traceId: span.isRecording() ? traceId : undefined, path: url.pathname });
              await answer();
              span.setAttribute('http.response.status_code', response.statusCode);
              const operationName = operationNameOf(response);
              if (operationName) span.setAttribute('graphql.operation.name', operationName);
            },
          );
    handle().catch((error: unknown) => {
      routing.logger.error({ err: error, requestId }, 'request failed');
      if (!response.headersSent) sendError(response, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
      else response.end();
    });
  });
}

const headerOf = (request: IncomingMessage, name: string) => {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
};

const requestIdPattern = /^[\w.:-]{1,128}$/;

function requestIdFrom(request: IncomingMessage): string {
  const header = request.headers['x-request-id'];
  return typeof header === 'string' && requestIdPattern.test(header) ? header : randomUUID();
}
