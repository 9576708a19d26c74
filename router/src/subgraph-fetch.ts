import type { Fetcher, FetcherRequestInit, FetcherResponse } from '@apollo/utils.fetcher';
import { Agent, Headers, Response } from 'undici';
import { retrying, wasResetBeforeResponse } from '@bazaar/service';

/**
 * How long the router keeps an idle connection to a subgraph. Below the subgraphs' own idle timeout
 * (Node's `server.keepAliveTimeout`, 5 s by default), so the router lets a connection go before the
 * subgraph closes it, instead of sending a request down a socket that is closing ("socket hang up",
 * a known @apollo/gateway behaviour with its default fetcher).
 */
const SUBGRAPH_IDLE_TIMEOUT_MS = 2_000;

/**
 * The router's fetch to subgraphs: keep-alive connections (undici) with an idle timeout under the
 * subgraphs', and a retry when the connection was reset before the response began (the request
 * rejects only before the response headers; later failures surface while reading the body and are
 * not retried). A reset before any byte means the subgraph never answered; on an idle keep-alive
 * socket it never even read the request. Mutations are safe to resend as well: they carry
 * idempotency keys or are idempotent by design.
 *
 * It speaks undici's `request` rather than its WHATWG `fetch`: the router's profile showed fetch's
 * spec machinery (request and response objects, body streams, header guards) costing more CPU than
 * planning a query; `request` hands back the status, headers and body directly.
 */
export function createSubgraphFetcher(options: { idleTimeoutMs?: number; retries?: number } = {}) {
  const idleTimeoutMs = options.idleTimeoutMs ?? SUBGRAPH_IDLE_TIMEOUT_MS;
  const retries = options.retries ?? 2;
  const agent = new Agent({ keepAliveTimeout: idleTimeoutMs, keepAliveMaxTimeout: idleTimeoutMs });
  const fetcher = (async (url: string, init?: FetcherRequestInit) => {
    // At once: the connection was reset before the subgraph read the request, nothing to wait for.
    // Only up to the response headers: a failure while reading the body is never sent again.
    const response = await retrying(() => send(agent, url, init), {
      retryIf: wasResetBeforeResponse,
      maxAttempts: retries + 1,
      initialDelayMs: 0,
      maxDelayMs: 0,
    });
    return readInFull(response);
  }) as Fetcher;
  return { fetcher, close: () => agent.close() };
}

/** The request, resolved when the response headers arrive. */
function send(agent: Agent, url: string, init: FetcherRequestInit = {}) {
  return agent.request({
    origin: new URL(url).origin,
    path: url.slice(url.indexOf('/', url.indexOf('//') + 2)) || '/',
    method: (init.method ?? 'GET') as 'GET',
    headers: init.headers as Record<string, string> | undefined,
    body: init.body ?? null,
    signal: (init as { signal?: AbortSignal }).signal,
  });
}

async function readInFull({ statusCode, headers, body }: Awaited<ReturnType<typeof send>>): Promise<FetcherResponse> {
  const text = await body.text();
  const responseHeaders = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const each of Array.isArray(value) ? value : [value]) responseHeaders.append(name, each);
  }
  return new LeanResponse(statusCode, responseHeaders, text) as unknown as FetcherResponse;
}

/**
 * What the gateway reads of a subgraph's answer (status, headers, the body as JSON or text), over a
 * body already read in full: subgraph answers are small JSON documents the gateway parses whole anyway.
 */
class LeanResponse {
  readonly redirected = false;
  readonly url = '';
  bodyUsed = false;

  constructor(
    readonly status: number,
    readonly headers: Headers,
    private readonly body: string,
  ) {}

  get ok() {
    return this.status >= 200 && this.status < 300;
  }

  get statusText() {
    return '';
  }

  async text() {
    this.bodyUsed = true;
    return this.body;
  }

  async json(): Promise<unknown> {
    this.bodyUsed = true;
    return JSON.parse(this.body);
  }

  async arrayBuffer() {
    this.bodyUsed = true;
    return new TextEncoder().encode(this.body).buffer;
  }

  clone() {
    return new Response(this.body, { status: this.status, headers: this.headers });
  }
}
