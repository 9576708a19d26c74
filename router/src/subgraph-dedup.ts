import type { Fetcher, FetcherRequestInit, FetcherResponse } from '@apollo/utils.fetcher';
import { Response } from 'undici';
import { CLIENT_ADDRESS_HEADER } from '@bazaar/service';

/**
 * The headers that can change a subgraph's answer to a query: who asks, and from where. The request
 * id and the signature are left out on purpose: they differ for every client request, and the
 * subgraph answers a query the same whatever they are.
 */
const ANSWER_HEADERS = ['authorization', CLIENT_ADDRESS_HEADER, 'content-type', 'accept'];

/** A query (`query …` or a shorthand `{ … }`), JSON-escaped, at the start of the `query` string. */
const QUERY_START = /^(?:\s|\\[nrt])*(?:query\b|\{)/;
const GATEWAY_BODY_START = '{"query":"';

/** A GraphQL query (or a shorthand `{ … }` selection): never a mutation or a subscription. */
function isQueryBody(body: string): boolean {
  // The gateway writes `query` first: read the operation's first word without parsing the whole
  // body (its entity representations can be large). Anything else is parsed.
  if (body.startsWith(GATEWAY_BODY_START)) return QUERY_START.test(body.slice(GATEWAY_BODY_START.length, GATEWAY_BODY_START.length + 64));
  const query = (JSON.parse(body) as { query?: unknown }).query;
  return typeof query === 'string' && /^\s*(query\b|\{)/.test(query);
}

interface Settled {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: string;
}

/**
 * Identical subgraph queries in flight at the same moment (many shoppers opening the same book page)
 * share one subgraph call: same URL, same body, same caller and address. Each waiting caller gets its
 * own copy of the response. Mutations and anything that is not a POSTed query always go through.
 */
export function deduplicating(fetcher: Fetcher): Fetcher {
  const inFlight = new Map<string, Promise<Settled>>();
  return async (url: string, init?: FetcherRequestInit): Promise<FetcherResponse> => {
    const key = dedupKey(url, init);
    if (key === null) return fetcher(url, init);
    let shared = inFlight.get(key);
    if (!shared) {
      shared = settle(fetcher(url, init)).finally(() => inFlight.delete(key));
      inFlight.set(key, shared);
    }
    const { body, ...head } = await shared;
    return new Response(body, head) as unknown as FetcherResponse;
  };
}

async function settle(response: Promise<FetcherResponse>): Promise<Settled> {
  const { status, statusText, headers, text } = await response.then((answer) => ({
    status: answer.status,
    statusText: answer.statusText,
    headers: [...(answer.headers as unknown as Iterable<[string, string]>)],
    text: answer.text(),
  }));
  return { status, statusText, headers, body: await text };
}

function dedupKey(url: string, init: FetcherRequestInit | undefined): string | null {
  if (init?.method !== 'POST' || typeof init.body !== 'string' || !isQueryBody(init.body)) return null;
  const headers = headerReader(init.headers);
  return JSON.stringify([url, init.body, ...ANSWER_HEADERS.map(headers)]);
}

/** The gateway passes headers as a plain object with lower-case names; anything else goes through Headers. */
function headerReader(headers: FetcherRequestInit['headers']): (name: string) => string | null {
  if (headers && !Array.isArray(headers) && typeof (headers as { get?: unknown }).get !== 'function') {
    const plain = headers as Record<string, string | undefined>;
    return (name) => plain[name] ?? null;
  }
  const parsed = new Headers(headers as ConstructorParameters<typeof Headers>[0]);
  return (name) => parsed.get(name);
}
