import type { RouteHandler } from '@bazaar/service';
import { sendJson } from '@bazaar/service';

/** How long one subgraph's /ready may take before it counts as unavailable. */
const PROBE_TIMEOUT_MS = 2_000;
/** Answers within this long reuse the last probe, so a burst of probes does not fan out to every subgraph. */
const REUSE_MS = 1_000;

type SubgraphState = 'ready' | 'unavailable';

/**
 * The router's /ready: ready only while every subgraph it routes to answers its own /ready (which
 * checks that subgraph's database), 503 with the state of each otherwise. A router whose subgraph
 * is gone cannot answer the queries that need it, so a load balancer should know.
 */
export function subgraphReadiness(subgraphUrls: Record<string, string>): RouteHandler {
  let last: { at: number; states: Promise<Record<string, SubgraphState>> } | undefined;
  const probe = async () =>
    Object.fromEntries(
      await Promise.all(
        Object.entries(subgraphUrls).map(async ([name, url]): Promise<[string, SubgraphState]> => {
          try {
            const response = await fetch(new URL('/ready', url), { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
            await response.body?.cancel();
            return [name, response.ok ? 'ready' : 'unavailable'];
          } catch {
            return [name, 'unavailable'];
          }
        }),
      ),
    );
  return async (_request, response) => {
    if (!last || performance.now() - last.at > REUSE_MS) last = { at: performance.now(), states: probe() };
    const subgraphs = await last.states;
    const ready = Object.values(subgraphs).every((state) => state === 'ready');
    sendJson(response, ready ? 200 : 503, { status: ready ? 'ready' : 'unavailable', service: 'router', subgraphs });
  };
}
