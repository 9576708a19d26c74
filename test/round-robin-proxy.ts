import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RoundRobinProxy {
  url: string;
  /** Requests each upstream answered, by upstream origin. */
  answered: Map<string, number>;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'content-encoding']);

/**
 * The small load balancer of the replica test (a Kubernetes Service does this in a cluster): each
 * request goes to the next upstream; an upstream that cannot be reached (a killed replica) is
 * skipped and the next one tried, as kube-proxy does once the pod's endpoint is gone.
 */
export async function startRoundRobinProxy(upstreams: string[]): Promise<RoundRobinProxy> {
  const origins = upstreams.map((upstream) => new URL(upstream).origin);
  const answered = new Map(origins.map((origin) => [origin, 0]));
  let next = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
        const headers = Object.fromEntries(Object.entries(request.headers).filter(([name, value]) => !HOP_BY_HOP.has(name) && typeof value === 'string')) as Record<string, string>;
        let lastError: unknown;
        for (let attempt = 0; attempt < origins.length; attempt++) {
          const origin = origins[next++ % origins.length]!;
          try {
            const upstream = await fetch(`${origin}${request.url ?? '/'}`, { method: request.method, headers, ...(body ? { body } : {}) });
            const payload = Buffer.from(await upstream.arrayBuffer());
            answered.set(origin, (answered.get(origin) ?? 0) + 1);
            response.writeHead(upstream.status, Object.fromEntries([...upstream.headers].filter(([name]) => !HOP_BY_HOP.has(name))));
            response.end(payload);
            return;
          } catch (error) {
            lastError = error;
          }
        }
        response.writeHead(502, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ errors: [{ message: `no upstream answered: ${String(lastError)}`, extensions: { code: 'SERVICE_UNAVAILABLE' } }] }));
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    answered,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
