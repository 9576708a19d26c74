import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { anonymous, ConfigError, createLogger, queryLimitsConfig, startSubgraph, type RunningService } from '../src';

/**
 * The shared server's time budget, on a subgraph whose one resolver waits until the budget is spent
 * (a real HTTP server; no database is involved).
 */
describe('the request time budget', () => {
  let service: RunningService;
  const calls = { slow: 0, after: 0, slowFinished: false };

  const start = (environment: 'test' | 'production', secret?: string) =>
    startSubgraph({
      name: 'slow',
      schemaPath: new URL('./fixtures/slow.graphql', import.meta.url),
      resolvers: {
        Query: {
          fast: () => 'fast',
          slow: (_root: unknown, _args: unknown, { signal }: { signal: AbortSignal }) => {
            calls.slow += 1;
            return new Promise((resolve) =>
              signal.addEventListener('abort', () => {
                calls.slowFinished = true;
                resolve({});
              }),
            );
          },
        },
        Slow: { after: () => (calls.after += 1) },
      },
      host: '127.0.0.1',
      port: 0,
      environment,
      edge: { ...queryLimitsConfig.parse({ REQUEST_BUDGET_MS: '500' }), SUBGRAPH_SIGNING_SECRET: secret },
      logger: createLogger({ service: 'slow', level: 'silent' }),
      verifier: { authenticate: async () => anonymous },
      createContext: (base) => base,
      checkReadiness: async () => {},
    });

  beforeAll(async () => {
    service = await start('test');
  });
  afterAll(() => service?.stop());

  const post = async (query: string) => {
    const response = await fetch(service.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    return { status: response.status, headers: response.headers, body: (await response.json()) as { data?: unknown; errors?: { extensions?: Record<string, unknown> }[] } };
  };

  it('answers REQUEST_TIMEOUT at the budget and resolves nothing after it', async () => {
    const started = performance.now();
    const { status, headers, body } = await post('{ slow { after } }');
    console.log(`answered ${status} after ${Math.round(performance.now() - started)} ms (budget 450 ms at a subgraph: 90% of REQUEST_BUDGET_MS=500)`);
    expect(status).toBe(503);
    expect(headers.get('retry-after')).toBe('1');
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'REQUEST_TIMEOUT', budgetMs: 450 });
    await vi.waitFor(() => expect(calls.slowFinished).toBe(true));
    // `slow` returned after the budget: its child field must not be resolved.
    await expect(post('{ fast }')).resolves.toMatchObject({ status: 200, body: { data: { fast: 'fast' } } });
    expect(calls).toMatchObject({ slow: 1, after: 0 });
  });

  it('will not start in production without the router signing secret', async () => {
    await expect(start('production')).rejects.toBeInstanceOf(ConfigError);
  });
});
