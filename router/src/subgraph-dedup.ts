import type { Fetcher, FetcherRequestInit, FetcherResponse } from '@apollo/utils.fetcher';
import { Response } from 'undici';
import { CLIENT_ADDRESS_HEADER } from '@bazaar/service';

/**
 * The headers that can change a subgraph's answer to a query: who asks, and from where. The request
 * id and the signature are left out on purpose: they differ for every client request, and the
 * subgraph answers a query the same whatever they are.
 */
const ANSWER_HEADERS = ['authorization', CLIENT_ADDRESS_HEADER, 'content-type', 'accept'];

/** A GraphQL query (or a shorthand `{ … }` selection): never a mutation or a subscription. */
const isQueryBody = (body: string) => {
  const query = (JSON.parse(body) as { query?: unknown }).query;
  return typeof query === 'string' && /^\s*(query\b|\{)/.test(query);
};

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
  const headers = new Headers(init.headers);
  return JSON.stringify([url, init.body, ...ANSWER_HEADERS.map((name) => headers.get(name))]);
}
