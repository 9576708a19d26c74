/*
 * Search on a large catalog, the way the storefront asks (`npx tsx bench/search.ts`, options after it):
 * starts the stack (`npm start` on an empty data folder), adds a generated catalog of --size books
 * (default 100,000) to the books database, then for each search kind of issue 15 (typo, common word,
 * author, genre + price sort, page 50, unfiltered browse) runs, interleaved A B A B over --runs rounds
 * (default 20, after 3 warm-up rounds):
 *   A. the search's own SQL statements alone, straight to Postgres over one connection each (count and
 *      facets from the start, alongside the page, its books and their authors, as the subgraph issues them);
 *   B. the same search through the router (page of 20 with authors and price, totalCount, facets);
 *   C. the same GraphQL sent to the books subgraph directly (it answers the whole search alone), so
 *      the fixed cost of a request splits into the router's hop and the subgraph's own;
 *   D. the two-hop floor (bench/floor.ts): the same statements behind two bare Node HTTP
 *      processes (a relay calling, with undici, a server that runs them), no GraphQL: the least a
 *      router and a subgraph could add on this machine. --no-floor leaves it out.
 * Prints p50/p95 of each, the ratios router, subgraph and floor p95 ÷ SQL p95, and (when the
 * benchmark started the stack) CPU per request of the router, books and Postgres processes for B and
 * C (read from /proc; robust where latency is not, on a busy machine).
 * Options: --size 100000 --runs 20; --router <url> --books-database <url> [--books <url>] to use a
 * running stack whose books database already holds the catalog (with SUBGRAPH_SIGNING_SECRET set to
 * that stack's secret, calls to --books are signed as the router signs them).
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { freePort, freeSubgraphPorts, launchStack, type LaunchedStack } from '@bazaar/devstack/launch';
import { generatedCatalogSql } from '@bazaar/books/search-statements';
import { startFloorProcess } from './floor-process';
import { runStatements, SEARCHES, type FloorRequest, type SearchKind } from './search-kinds';
import { cpuBetween, stackCpu } from './process-cpu';
import { percentiles, Router } from './router-client';
import { subgraphPortVariable } from '@bazaar/topology';
import { CLIENT_ADDRESS_HEADER, SIGNATURE_HEADER, signRequest } from '@bazaar/service';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '20' },
    router: { type: 'string' },
    'books-database': { type: 'string' },
    books: { type: 'string' },
    floor: { type: 'boolean', default: true },
  },
  allowNegative: true,
});
const size = Number(values.size);
const runs = Number(values.runs);
const print = (line: string) => console.log(`[bench:search] ${line}`);

const SEARCH_PAGE = /* GraphQL */ `
  query Search($filter: BookFilter, $sort: BookSort, $first: Int, $after: String) {
    books(filter: $filter, sort: $sort, first: $first, after: $after) {
      edges { cursor node { id title authors { name } lowestPrice { amount currency } inStock } }
      pageInfo { hasNextPage endCursor }
      totalCount totalCountIsExact
      facets { genres { value count } languages { value count } conditions { value count } price { min { amount } max { amount } } countsAreExact }
    }
  }`;

type SearchResult = { books: { edges: { cursor: string; node: { id: string } }[]; pageInfo: { endCursor: string | null } } };

let stack: LaunchedStack | undefined;
let dataDir: string | undefined;
/** The stack's secret: this benchmark calls the books subgraph directly, signed as the router signs. */
const signingSecret = values.router ? process.env.SUBGRAPH_SIGNING_SECRET : randomBytes(32).toString('base64url');

/** The books subgraph called directly, each call signed as the router signs its own. */
class SignedSubgraph {
  constructor(
    private readonly url: string,
    private readonly secret: string | undefined,
  ) {}

  async data<Data>(query: string, variables: Record<string, unknown>): Promise<Data> {
    const body = { query, variables };
    const signature: Record<string, string> = this.secret
      ? { [CLIENT_ADDRESS_HEADER]: '127.0.0.1', [SIGNATURE_HEADER]: signRequest(this.secret, { method: 'POST', body, clientAddress: '127.0.0.1' }) }
      : {};
    const response = await fetch(this.url, { method: 'POST', headers: { 'content-type': 'application/json', ...signature }, body: JSON.stringify(body) });
    const answer = (await response.json()) as { data?: Data; errors?: unknown };
    if (answer.errors || !answer.data) throw new Error(`the books subgraph failed: ${JSON.stringify(answer)}`);
    return answer.data;
  }
}

/** CPU the stack's router, books and Postgres processes used over the measured requests. */
class CpuTally {
  private readonly totals = new Map<string, number>();
  private requests = 0;

  async during<T>(measured: boolean, work: () => Promise<T>): Promise<T> {
    if (!stack || !measured) return work();
    const before = stackCpu(stack.child.pid!).cpuMs;
    const result = await work();
    for (const [name, ms] of cpuBetween(before, stackCpu(stack.child.pid!).cpuMs)) this.totals.set(name, (this.totals.get(name) ?? 0) + ms);
    this.requests += 1;
    return result;
  }

  perRequest(): string {
    return ['router', 'books', 'postgres'].map((name) => `${name} ${((this.totals.get(name) ?? 0) / Math.max(1, this.requests)).toFixed(2)}`).join(', ');
  }
}

try {
  const { routerUrl, booksDatabaseUrl, booksUrl } = values.router && values['books-database']
    ? { routerUrl: values.router, booksDatabaseUrl: values['books-database'], booksUrl: values.books }
    : await startStackWithCatalog();
  const router = new Router(routerUrl);
  const books = booksUrl ? new SignedSubgraph(booksUrl, signingSecret) : undefined;
  const pool = new pg.Pool({ connectionString: booksDatabaseUrl, max: 4 });
  const floor = values.floor ? await startFloor(booksDatabaseUrl) : undefined;
  try {
    print(`catalog: ${(await pool.query<{ n: string }>('SELECT count(*) AS n FROM books')).rows[0]!.n} books; ${runs} runs per search after 3 warm-up runs`);
    print('search | SQL alone p50 / p95 | two-hop floor p50 / p95 | books subgraph p50 / p95 | router p50 / p95 | p95 ÷ SQL p95: floor, subgraph, router');
    const cpuLines: string[] = [];
    for (const [name, search] of Object.entries(SEARCHES)) {
      const after = await cursorOfPage(router, search);
      const variables = { filter: search.filter, sort: search.sort, first: 20, after };
      const times = { sql: [] as number[], floor: [] as number[], subgraph: [] as number[], router: [] as number[] };
      const cpu = { subgraph: new CpuTally(), router: new CpuTally() };
      for (let run = 0; run < runs + 3; run++) {
        const measured = run >= 3;
        times.sql.push(await timed(() => runStatements(pool, search, after)));
        if (floor) times.floor.push(await timed(() => floor.search({ search, after })));
        if (books) times.subgraph.push(await cpu.subgraph.during(measured, () => timed(() => books.data<SearchResult>(SEARCH_PAGE, variables))));
        times.router.push(await cpu.router.during(measured, () => timed(() => router.data<SearchResult>(SEARCH_PAGE, variables))));
      }
      // To a tenth of a millisecond: the cheapest searches take a few. Undefined for a path not timed.
      const [sql, floorTimes, subgraph, routed] = [times.sql, times.floor, times.subgraph, times.router].map((all) => (all.length > 0 ? percentiles(all.slice(3), 1) : undefined));
      const shown = (figures: Percentiles | undefined) => (figures ? `${figures.p50} / ${figures.p95} ms` : '–');
      const ratio = (figures: Percentiles | undefined) => (figures ? (figures.p95 / Math.max(0.1, sql!.p95)).toFixed(2) : '–');
      print(`${name} | ${shown(sql)} | ${shown(floorTimes)} | ${shown(subgraph)} | ${shown(routed)} | ${ratio(floorTimes)}, ${ratio(subgraph)}, ${ratio(routed)}`);
      if (stack) cpuLines.push(`${name} | through the router: ${cpu.router.perRequest()} | books directly: ${cpu.subgraph.perRequest()}`);
    }
    if (cpuLines.length > 0) {
      print('CPU per request (ms, from /proc; 10 ms ticks, so read them as ±10 ms / runs):');
      for (const line of cpuLines) print(line);
    }
  } finally {
    await pool.end();
    floor?.stop();
  }
} finally {
  if (stack) {
    stack.child.kill('SIGINT');
    await stack.exited;
  }
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}

async function startStackWithCatalog(): Promise<{ routerUrl: string; booksDatabaseUrl: string; booksUrl: string }> {
  dataDir = await mkdtemp(path.join(tmpdir(), 'bazaar-bench-search-'));
  await chmod(dataDir, 0o755); // the postgres OS user must reach it
  const postgresPort = await freePort();
  const ports = await freeSubgraphPorts();
  const env = { BAZAAR_DATA_DIR: dataDir, POSTGRES_PORT: postgresPort, ROUTER_PORT: await freePort(), SUBGRAPH_SIGNING_SECRET: signingSecret!, ...ports };
  const started = performance.now();
  stack = launchStack(env);
  const [, routerUrl] = await stack.waitFor(/Book Bazaar is running: (\S+)/, 900_000);
  print(`stack ready after ${Math.round(performance.now() - started)} ms`);
  const booksDatabaseUrl = `postgresql://postgres:postgres@127.0.0.1:${postgresPort}/books`;
  const client = new pg.Client({ connectionString: booksDatabaseUrl });
  await client.connect();
  try {
    const generating = performance.now();
    await client.query(generatedCatalogSql(size));
    print(`generated ${size.toLocaleString('en')} books in ${Math.round(performance.now() - generating)} ms`);
  } finally {
    await client.end();
  }
  return { routerUrl: routerUrl!, booksDatabaseUrl, booksUrl: `http://127.0.0.1:${ports[subgraphPortVariable('books')]}/graphql` };
}

/** The cursor after which the timed page starts (null for page 1), walking 100 books at a time. */
async function cursorOfPage(router: Router, search: SearchKind): Promise<string | null> {
  let after: string | null = null;
  for (let skip = (search.page - 1) * 20; skip > 0; skip -= 100) {
    const first = Math.min(100, skip);
    const { books }: SearchResult = await router.data<SearchResult>(SEARCH_PAGE, { filter: search.filter, sort: search.sort, first, after });
    after = books.edges[first - 1]!.cursor;
  }
  return after;
}

type Percentiles = ReturnType<typeof percentiles>;

/** The two-hop floor's processes (bench/floor.ts): statements behind a relay, each its own Node process. */
async function startFloor(booksDatabaseUrl: string): Promise<{ search(request: FloorRequest): Promise<unknown>; stop(): void }> {
  const statements = await startFloorProcess('statements', booksDatabaseUrl);
  const relay = await startFloorProcess('relay', statements.url).catch((error: unknown) => {
    statements.child.kill('SIGTERM');
    throw error;
  });
  return {
    async search(request) {
      const response = await fetch(relay.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
      if (!response.ok) throw new Error(`the two-hop floor failed: ${await response.text()}`);
      return response.json();
    },
    stop: () => [relay, statements].forEach(({ child }) => child.kill('SIGTERM')),
  };
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}
