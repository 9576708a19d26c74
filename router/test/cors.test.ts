import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, type RunningService } from '@bazaar/service';
import { launchBrowser, type TestBrowser } from '@bazaar/testing/browser';
import { loadRouterConfig, startRouter } from '../src/index';

// `{ __typename }` is answered by the router itself, so these tests need no subgraph behind it.
const QUERY = JSON.stringify({ query: '{ __typename }' });

const startLocalRouter = (env: Record<string, string> = {}) =>
  startRouter(loadRouterConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', HOST: '127.0.0.1', ROUTER_PORT: '0', ...env }));

const preflight = (url: string, origin: string, headers = 'content-type, authorization, apollographql-client-name') =>
  fetch(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': headers } });

/** A web page on another origin (its own port) whose script calls the router the way the web shop does. */
async function servePage(host: string): Promise<{ origin: string; server: Server }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end('<!doctype html><title>another origin</title><p>web shop</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://${host}:${port}`, server };
}

describe('CORS at the router', () => {
  let router: RunningService;
  let restricted: RunningService;

  beforeAll(async () => {
    router = await startLocalRouter();
    restricted = await startLocalRouter({ CORS_ORIGINS: 'http://localhost:*, https://shop.bookbazaar.dev' });
  });
  afterAll(async () => {
    await router?.stop();
    await restricted?.stop();
  });

  it('answers a preflight from a local dev server with the origin, credentials and the headers clients send', async () => {
    const response = await preflight(router.url, 'http://localhost:5173');
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    const allowed = response.headers.get('access-control-allow-headers')?.split(', ');
    expect(allowed).toEqual(
      expect.arrayContaining(['content-type', 'authorization', 'apollo-require-preflight', 'apollographql-client-name', 'apollographql-client-version', 'x-request-id']),
    );
    expect(response.headers.get('vary')).toContain('Origin');
    const shown = ['access-control-allow-origin', 'access-control-allow-credentials', 'access-control-allow-methods', 'access-control-allow-headers', 'access-control-max-age'];
    console.log(`preflight from http://localhost:5173: ${response.status}\n${shown.map((name) => `  ${name}: ${response.headers.get(name)}`).join('\n')}`);
  });

  it('refuses a preflight from an origin that is not listed, with a clear message', async () => {
    const response = await preflight(restricted.url, 'https://evil.example');
    expect(response.status).toBe(403);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    const body = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors[0]).toMatchObject({ message: expect.stringContaining('CORS_ORIGINS'), extensions: { code: 'FORBIDDEN' } });
    expect((await preflight(restricted.url, 'https://shop.bookbazaar.dev')).status).toBe(204);
  });

  it('keeps CSRF prevention on for allowed origins: a request a browser sends without a preflight is refused', async () => {
    const response = await fetch(router.url, { method: 'POST', headers: { origin: 'http://localhost:5173', 'content-type': 'text/plain' }, body: QUERY });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('CSRF');
  });

  it('allows no other origin in production unless CORS_ORIGINS lists it, and refuses a bare *', () => {
    expect(loadRouterConfig({ NODE_ENV: 'production', SUBGRAPH_SIGNING_SECRET: 'a-production-secret-of-32-characters' }).CORS_ORIGINS).toBeUndefined();
    expect(loadRouterConfig({ CORS_ORIGINS: 'https://shop.bookbazaar.dev, https://*.preview.bookbazaar.dev' }).CORS_ORIGINS).toEqual([
      'https://shop.bookbazaar.dev',
      'https://*.preview.bookbazaar.dev',
    ]);
    expect(() => loadRouterConfig({ CORS_ORIGINS: '*' })).toThrow(ConfigError);
  });

  describe('from a real browser page on another origin', () => {
    let browser: TestBrowser;
    const pages: Server[] = [];

    beforeAll(async () => {
      browser = await launchBrowser({ offline: true });
    });
    afterAll(async () => {
      await browser?.close();
      for (const server of pages) server.close();
    });

    /** Runs fetch() in a page served from `host`, as the web shop's Apollo Client would call the router. */
    async function fetchFromPage(host: string, routerUrl: string) {
      const { origin, server } = await servePage(host);
      pages.push(server);
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(origin);
      const result = await page.evaluate(async ([url, body]) => {
        try {
          const response = await fetch(url, {
            method: 'POST',
            credentials: 'include',
            headers: { 'content-type': 'application/json', authorization: 'Bearer not-needed-for-typename', 'apollographql-client-name': 'web-shop' },
            body,
          });
          return { status: response.status, requestId: response.headers.get('x-request-id'), body: await response.json() };
        } catch (error) {
          return { error: String(error) };
        }
      }, [routerUrl, QUERY] as const);
      await context.close();
      return { origin, result };
    }

    it('lets the page call the router with credentials and read the answer and the request id', async () => {
      const { origin, result } = await fetchFromPage('localhost', router.url);
      expect(new URL(origin).host).not.toBe(new URL(router.url).host);
      expect(result).toMatchObject({ status: 200, body: { data: { __typename: 'Query' } } });
      expect(result.requestId).toEqual(expect.any(String));
    });

    it('blocks a page on an origin the router does not allow (the browser reports a failed fetch)', async () => {
      const { result } = await fetchFromPage('127.0.0.1', restricted.url);
      expect(result).toEqual({ error: expect.stringContaining('Failed to fetch') });
    });
  });
});
