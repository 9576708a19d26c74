import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUEST_TIMEOUT, sendError, type RunningService } from '@bazaar/service';
import { loadRouterConfig, startRouter } from '../src/index';

/**
 * A subgraph that ran out of its time budget answers HTTP 503 REQUEST_TIMEOUT (packages/service's
 * http.ts). @apollo/gateway would turn that into INTERNAL_SERVER_ERROR; the client must see the
 * retryable code. The stand-in subgraph answers with the same `sendError` a real subgraph uses,
 * because making a real one run out of its budget on demand is not possible without slowing it.
 */
let standIn: Server;
let router: RunningService;

beforeAll(async () => {
  standIn = createServer((_request, response) =>
    sendError(response, 503, REQUEST_TIMEOUT, 'The request did not finish within 50 ms and was stopped.', { budgetMs: 50 }, { 'retry-after': '1' }),
  );
  await new Promise<void>((resolve) => standIn.listen(0, '127.0.0.1', resolve));
  const standInUrl = `http://127.0.0.1:${(standIn.address() as AddressInfo).port}/graphql`;
  router = await startRouter(loadRouterConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ROUTER_PORT: '0', BOOKS_SUBGRAPH_URL: standInUrl }));
});
afterAll(async () => {
  await router?.stop();
  await new Promise((resolve) => standIn?.close(resolve));
});

describe('a subgraph answering with a retryable code (stand-in subgraph)', () => {
  it('reaches the client as that code, with its retry hint and without the subgraph URL', async () => {
    const response = await fetch(router.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ books(first: 1) { totalCount } }' }),
    });
    const body = (await response.json()) as { errors: { message: string; extensions: Record<string, unknown> }[] };
    expect(body.errors[0]?.extensions).toEqual({ code: REQUEST_TIMEOUT, retryable: true, budgetMs: 50 });
    expect(JSON.stringify(body)).not.toContain('127.0.0.1');
  });
});
