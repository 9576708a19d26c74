import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RemoteGraphQLDataSource } from '@apollo/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForwardingDataSource, type RouterContext } from '../src/data-source';
import { createSubgraphFetcher } from '../src/subgraph-fetch';

/**
 * The router's data source replaces @apollo/gateway's private `sendRequest` with one that builds
 * no node-fetch Request. It must answer exactly as the gateway's own does, for answers and for
 * failures alike: both run against the same real HTTP server, for each kind of subgraph answer.
 */
const ANSWERS: Record<string, { status: number; type: string; body: string }> = {
  data: { status: 200, type: 'application/json', body: JSON.stringify({ data: { books: { totalCount: 3 } } }) },
  'GraphQL errors': { status: 200, type: 'application/json', body: JSON.stringify({ data: null, errors: [{ message: 'No.', extensions: { code: 'FORBIDDEN' } }] }) },
  'a JSON array': { status: 200, type: 'application/json', body: '[1,2]' },
  'not JSON': { status: 200, type: 'text/html', body: '<p>hello</p>' },
  '401': { status: 401, type: 'application/json', body: JSON.stringify({ errors: [{ message: 'Only the router may call this service.', extensions: { code: 'UNAUTHENTICATED' } }] }) },
  '503 REQUEST_TIMEOUT': { status: 503, type: 'application/json', body: JSON.stringify({ errors: [{ message: 'Too slow.', extensions: { code: 'REQUEST_TIMEOUT', budgetMs: 50 } }] }) },
  '500 text': { status: 500, type: 'text/plain', body: 'oops' },
};

let server: Server;
let url: string;
const seen: { headers: Record<string, unknown>; body: string }[] = [];
const fetcher = createSubgraphFetcher();

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      seen.push({ headers: { ...request.headers }, body });
      const answer = ANSWERS[request.headers['x-answer'] as string]!;
      response.writeHead(answer.status, { 'content-type': answer.type });
      response.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(async () => {
  await fetcher.close();
  await new Promise((resolve) => server?.close(resolve));
});

/** The gateway's own sendRequest, on an otherwise identical data source. */
class GatewaysOwnSend extends ForwardingDataSource {}
Object.defineProperty(GatewaysOwnSend.prototype, 'sendRequest', {
  value: (RemoteGraphQLDataSource.prototype as unknown as Record<string, unknown>)['sendRequest'],
});

async function outcome(source: ForwardingDataSource, answer: string) {
  const context: RouterContext = { requestId: 'r-1', clientAddress: '10.0.0.1', authorization: 'Bearer t', signal: new AbortController().signal };
  try {
    const result = await source.process({
      kind: 'incoming operation', // GraphQLDataSourceRequestKind.INCOMING_OPERATION (not exported at run time)
      request: { query: '{ books(first: 1) { totalCount } }', variables: { a: 1 }, http: { method: 'POST', url, headers: new Headers({ 'x-answer': answer }) as never } },
      context,
      incomingRequestContext: {} as never,
      document: {} as never,
      pathInIncomingRequest: [],
    } as never);
    const { http, ...rest } = result as { http?: { status: number } };
    return { result: rest, status: http?.status };
  } catch (error) {
    const { message, extensions } = error as { message: string; extensions?: unknown };
    return { error: { message, extensions } };
  }
}

describe("the router's subgraph calls without node-fetch's Request", () => {
  it("replaces a method @apollo/gateway really has (a gateway upgrade that renames it fails here)", () => {
    expect(typeof Object.getOwnPropertyDescriptor(RemoteGraphQLDataSource.prototype, 'sendRequest')?.value).toBe('function');
  });

  it.each(Object.keys(ANSWERS))('answers as the gateway does: %s', async (answer) => {
    const options = { url, fetcher: fetcher.fetcher };
    const secret = 'x'.repeat(32);
    seen.length = 0;
    const lean = await outcome(new ForwardingDataSource(options, secret), answer);
    const own = await outcome(new GatewaysOwnSend(options, secret), answer);
    expect(lean).toEqual(own);
    // The same request went out: body, and headers apart from the signature's timestamped value.
    const [leanSent, ownSent] = seen.map(({ headers, body }) => ({ body, headers: { ...headers, 'x-bazaar-router-signature': typeof headers['x-bazaar-router-signature'] } }));
    expect(leanSent).toEqual(ownSent);
    expect(leanSent!.headers).toMatchObject({ authorization: 'Bearer t', 'x-request-id': 'r-1', 'x-bazaar-client-address': '10.0.0.1' });
  });
});
