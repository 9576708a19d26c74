import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CLIENT_ADDRESS_HEADER } from '@bazaar/service';
import { deduplicating } from '../src/subgraph-dedup';
import { createSubgraphFetcher } from '../src/subgraph-fetch';

/**
 * The router's subgraph fetcher with deduplication, against a real HTTP server standing in for a
 * subgraph. The server holds every request until the test releases it, so the calls are provably
 * in flight together; it counts what reaches it.
 */
let server: Server;
let url: string;
const held: { request: IncomingMessage; response: ServerResponse; body: string }[] = [];
const subgraph = createSubgraphFetcher();
const fetcher = deduplicating(subgraph.fetcher);

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => held.push({ request, response, body }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(async () => {
  await subgraph.close();
  await new Promise((resolve) => server.close(resolve));
});

const post = (query: string, headers: Record<string, string> = {}) =>
  fetcher(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer a', [CLIENT_ADDRESS_HEADER]: '10.0.0.1', ...headers },
    body: JSON.stringify({ query, variables: { id: '1' } }),
  });

/** Waits until `count` requests reached the server, then answers each with its own number. */
async function answer(count: number) {
  await vi.waitFor(() => expect(held).toHaveLength(count), { timeout: 30_000 });
  held.splice(0).forEach(({ response, body }, index) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ data: { answer: index, body: JSON.parse(body) as unknown } }));
  });
}

describe('deduplication of identical in-flight subgraph queries', () => {
  it('sends ten identical queries once and gives each caller the whole answer', async () => {
    const calls = Array.from({ length: 10 }, (_, index) => post('query Page { book(id: $id) { title } }', { 'x-request-id': `request-${index}` }));
    await answer(1);
    const bodies = await Promise.all((await Promise.all(calls)).map((response) => response.json()));
    expect(new Set(bodies.map((body) => JSON.stringify(body)))).toHaveProperty('size', 1);
    expect(bodies[0]).toMatchObject({ data: { answer: 0 } });
  });

  it('never shares mutations', async () => {
    const calls = Array.from({ length: 3 }, () => post('mutation Pay { pay(id: $id) { id } }'));
    await answer(3);
    await Promise.all(calls);
  });

  it('reads the operation wherever the body puts it: a mutation after its variables is never shared, an indented query is', async () => {
    const send = (body: string) => fetcher(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer a' }, body });
    const mutations = Array.from({ length: 2 }, () => send(JSON.stringify({ variables: { id: '1' }, query: 'mutation Pay { pay(id: $id) { id } }' })));
    await answer(2);
    await Promise.all(mutations);
    const queries = Array.from({ length: 3 }, () => send(JSON.stringify({ query: '\n  query Indented { book(id: $id) { title } }', variables: { id: '1' } })));
    await answer(1);
    await Promise.all(queries);
  });

  it('keeps callers apart: another token or client address is another call', async () => {
    const calls = [
      post('{ me { id } }'),
      post('{ me { id } }'),
      post('{ me { id } }', { authorization: 'Bearer b' }),
      post('{ me { id } }', { [CLIENT_ADDRESS_HEADER]: '10.0.0.2' }),
    ];
    await answer(3);
    const answers = await Promise.all((await Promise.all(calls)).map(async (response) => ((await response.json()) as { data: { answer: number } }).data.answer));
    expect(answers[0]).toBe(answers[1]);
    expect(new Set(answers).size).toBe(3);
  });

  it("passes a subgraph's status and headers through", async () => {
    const call = subgraph.fetcher(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ a }"}' });
    await vi.waitFor(() => expect(held).toHaveLength(1), { timeout: 30_000 });
    const [{ response }] = held.splice(0) as [(typeof held)[number]];
    response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end('{"errors":[{"message":"busy"}]}');
    const answer = await call;
    expect(answer.ok).toBe(false);
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('1');
    expect(await answer.json()).toEqual({ errors: [{ message: 'busy' }] });
  });

  it('calls again once the shared call has finished', async () => {
    const first = post('query Again { book(id: $id) { title } }');
    await answer(1);
    await first;
    const second = post('query Again { book(id: $id) { title } }');
    await answer(1);
    expect(((await (await second).json()) as { data: { answer: number } }).data.answer).toBe(0);
  });
});
