/*
 * The two-hop floor of a search (bench/search.ts --floor): what any router and subgraph would cost
 * on this machine, with no GraphQL at all. Two bare processes, started by bench/search.ts:
 *   relay <next url>                 an HTTP server that forwards each POST body to <next url>
 *                                    (undici, keep-alive, as the router calls a subgraph) and
 *                                    answers with what came back;
 *   statements <books database url>  an HTTP server that runs a search's SQL (runStatements, the
 *                                    statements the books subgraph runs) and answers with the rows.
 * Each prints `listening <url>` once it listens on a free port of 127.0.0.1.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { Agent, request } from 'undici';
import { runStatements, type SearchKind } from './search-kinds';

/** What the benchmark sends through the floor: the search and the cursor of its page. */
export interface FloorRequest {
  search: SearchKind;
  after: string | null;
}

const [mode, target] = process.argv.slice(2);
if (!target || (mode !== 'relay' && mode !== 'statements')) {
  console.error('usage: search-floor.ts relay <next url> | statements <books database url>');
  process.exit(2);
}

const answer = mode === 'relay' ? relayTo(target) : statementsOn(target);
const server = http.createServer((incoming, response) => {
  const chunks: Buffer[] = [];
  incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
  incoming.on('end', () => {
    answer(Buffer.concat(chunks)).then(
      (body) => response.writeHead(200, { 'content-type': 'application/json' }).end(body),
      (error: unknown) => response.writeHead(500).end(String(error)),
    );
  });
});
server.listen(0, '127.0.0.1', () => console.log(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}/`));
process.on('SIGTERM', () => process.exit(0));

function relayTo(next: string): (body: Buffer) => Promise<string> {
  const agent = new Agent({ keepAliveTimeout: 60_000, connections: 16 });
  return async (body) => {
    const forwarded = await request(next, { method: 'POST', body, headers: { 'content-type': 'application/json' }, dispatcher: agent });
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
