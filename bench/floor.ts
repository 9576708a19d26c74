/*
 * Floors: what any router (and subgraph) would cost on this machine, with no GraphQL at all. Bare
 * Node processes, started by the benchmarks:
 *   relay <next url>                 an HTTP server that forwards each POST, its body and headers,
 *                                    to <next url> (undici, keep-alive, as the router calls a
 *                                    subgraph) and answers with what came back: in front of the
 *                                    books subgraph, the reads benchmark's `relay` target (the
 *                                    most a router without deduplication could reach);
 *   statements <books database url>  an HTTP server that runs a search's SQL (runStatements, the
 *                                    statements the books subgraph runs) and answers with the rows:
 *                                    behind a relay, the search benchmark's two-hop floor.
 * Each prints `listening <url>` once it listens on a free port of 127.0.0.1 (floor-process.ts waits for it).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { Agent, request } from 'undici';
import { runStatements, type FloorRequest } from './search-kinds';

const [mode, target] = process.argv.slice(2);
if (!target || (mode !== 'relay' && mode !== 'statements')) {
  console.error('usage: floor.ts relay <next url> | statements <books database url>');
  process.exit(2);
}

/** Hop-by-hop headers, which belong to one connection and are not forwarded. */
const HOP_BY_HOP = new Set(['host', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);

const answer = mode === 'relay' ? relayTo(target) : statementsOn(target);
const server = http.createServer((incoming, response) => {
  const chunks: Buffer[] = [];
  incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
  incoming.on('end', () => {
    const headers = Object.fromEntries(Object.entries(incoming.headers).filter(([name]) => !HOP_BY_HOP.has(name))) as Record<string, string>;
    answer(Buffer.concat(chunks), headers).then(
      (body) => response.writeHead(200, { 'content-type': 'application/json' }).end(body),
      (error: unknown) => response.writeHead(500).end(String(error)),
    );
  });
});
server.listen(0, '127.0.0.1', () => console.log(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}/`));
process.on('SIGTERM', () => process.exit(0));

function relayTo(next: string): (body: Buffer, headers: Record<string, string>) => Promise<string> {
  const agent = new Agent({ keepAliveTimeout: 60_000, connections: 16 });
  return async (body, headers) => {
    const forwarded = await request(next, { method: 'POST', body, headers, dispatcher: agent });
    return forwarded.body.text();
  };
}

function statementsOn(databaseUrl: string): (body: Buffer) => Promise<string> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  return async (body) => {
    const { search, after } = JSON.parse(body.toString()) as FloorRequest;
    return JSON.stringify({ data: await runStatements(pool, search, after) });
  };
}
