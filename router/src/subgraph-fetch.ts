import type { Fetcher } from '@apollo/utils.fetcher';
import { Agent, fetch } from 'undici';
import { retrying } from '@bazaar/service';

/**
 * How long the router keeps an idle connection to a subgraph. Below the subgraphs' own idle timeout
 * (Node's `server.keepAliveTimeout`, 5 s by default), so the router lets a connection go before the
 * subgraph closes it, instead of sending a request down a socket that is closing ("socket hang up",
 * a known @apollo/gateway behaviour with its default fetcher).
 */
const SUBGRAPH_IDLE_TIMEOUT_MS = 2_000;

/** Errors that mean the connection was closed or reset before any response byte came back. */
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNREFUSED']);

function wasResetBeforeResponse(error: unknown): boolean {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && RESET_CODES.has(code)) return true;
  }
  return false;
}

/**
 * The router's fetch to subgraphs: keep-alive connections (undici) with an idle timeout under the
 * subgraphs', and a retry when the connection was reset before the response began (fetch rejects
 * only before the response headers; later failures surface while reading the body and are not
 * retried). A reset before any byte means the subgraph never answered; on an idle keep-alive socket
 * it never even read the request. Mutations are safe to resend as well: they carry idempotency keys
 * or are idempotent by design.
 */
export function createSubgraphFetcher(options: { idleTimeoutMs?: number; retries?: number } = {}) {
  const idleTimeoutMs = options.idleTimeoutMs ?? SUBGRAPH_IDLE_TIMEOUT_MS;
  const retries = options.retries ?? 2;
  const agent = new Agent({ keepAliveTimeout: idleTimeoutMs, keepAliveMaxTimeout: idleTimeoutMs });
  const fetcher = ((url: string, init?: Parameters<Fetcher>[1]) =>
    // At once: the connection was reset before the subgraph read the request, nothing to wait for.
    retrying(() => fetch(url, { ...(init as object), dispatcher: agent }), {
      retryIf: wasResetBeforeResponse,
      maxAttempts: retries + 1,
      initialDelayMs: 0,
      maxDelayMs: 0,
    })) as unknown as Fetcher;
  return { fetcher, close: () => agent.close() };
}
