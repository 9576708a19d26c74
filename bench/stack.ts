/*
 * Times the real stack the way a user meets it (`npm run bench`, options after `--`):
 *   1. `npm start` on an empty data folder: time to "ready", how long of it the projections took
 *      to catch up, and whether the cart, wishlist and reviews projections knew the whole demo
 *      catalog and the demo carts were filled at "ready";
 *   2. checkout with N buyers at once: placeOrder -> AWAITING_PAYMENT latency (p50/p95/max) and
 *      complete checkouts (place, reserve, pay, PAID) per second;
 *   3. Ctrl-C, then `npm start` again with the data kept: time to "ready".
 * Each start prints the launcher's `--timings` (its steps and each service's phases, seconds after launch).
 * Options: --buyers 10 --checkouts 10 (per buyer) --skip-restart; --router <url> benches checkout
 * only, against a stack already running there.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { freePort, freeSubgraphPorts, launchStack, type LaunchedStack } from '@bazaar/devstack/launch';
import { DEMO_USER_IDS } from '@bazaar/demo';
import { recordFigure } from './figures';
import { checkoutRound, describeRound, pollUntil, prepareBuyers, roundFigures, Router } from './router-client';

const { values } = parseArgs({
  options: {
    buyers: { type: 'string', default: '10' },
    checkouts: { type: 'string', default: '10' },
    'skip-restart': { type: 'boolean', default: false },
    router: { type: 'string' },
  },
});
const buyers = Number(values.buyers);
const checkoutsPerBuyer = Number(values.checkouts);
const print = (line: string) => console.log(`[bench] ${line}`);

if (values.router) {
  await benchCheckout(new Router(values.router));
  process.exit(0);
}

const dataDir = await mkdtemp(path.join(tmpdir(), 'bazaar-bench-'));
await chmod(dataDir, 0o755); // the postgres OS user must reach it
const postgresPort = await freePort();
const env = { BAZAAR_DATA_DIR: dataDir, POSTGRES_PORT: postgresPort, ROUTER_PORT: await freePort(), ...(await freeSubgraphPorts()) };
const admin = (database: string) => `postgresql://postgres:postgres@127.0.0.1:${postgresPort}/${database}`;

let stack: LaunchedStack | undefined;
try {
  const firstStarted = performance.now();
  stack = launchStack(env, { args: ['--timings'] });
  const [, routerUrl] = await stack.waitFor(/Book Bazaar is running: (\S+)/, 900_000);
  const readyAfter = performance.now() - firstStarted;
  print(`first start: ready after ${seconds(readyAfter)}${phases(stack.output())}`);
  recordStart('first', readyAfter, stack.output());
  await printTimings(stack);
  await reportCatchUp(readyAfter);

  const router = new Router(routerUrl!);
  await benchCheckout(router);

  const stopped = performance.now();
  stack.child.kill('SIGINT');
  await stack.exited;
  print(`Ctrl-C: stopped in ${seconds(performance.now() - stopped)}`);
  stack = undefined;

  if (!values['skip-restart']) {
    const secondStarted = performance.now();
    stack = launchStack(env, { args: ['--timings'] });
    await stack.waitFor(/Book Bazaar is running/, 900_000);
    const keptReadyAfter = performance.now() - secondStarted;
    print(`start with data kept: ready after ${seconds(keptReadyAfter)}${phases(stack.output())}`);
    recordStart('kept', keptReadyAfter, stack.output());
    await printTimings(stack);
    stack.child.kill('SIGINT');
    await stack.exited;
    stack = undefined;
  }
} finally {
  if (stack) {
    stack.child.kill('SIGINT');
    await stack.exited;
  }
  await rm(dataDir, { recursive: true, force: true });
}

/** How long after "ready" each projection held every book or listing the catalog has. */
async function reportCatchUp(readyAfterMs: number): Promise<void> {
  const since = performance.now();
  const pools = Object.fromEntries(['books', 'cart', 'wishlist', 'reviews'].map((db) => [db, new pg.Pool({ connectionString: admin(db), max: 1 })]));
  const count = async (db: string, table: string) => Number((await pools[db]!.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
  try {
    const books = await count('books', 'books');
    const listings = await count('books', 'listings');
    const targets = [
      { name: 'cart listings', db: 'cart', table: 'listings', want: listings },
      { name: 'wishlist books', db: 'wishlist', table: 'books', want: books },
      { name: 'wishlist listings', db: 'wishlist', table: 'listings', want: listings },
      { name: 'reviews known books', db: 'reviews', table: 'known_books', want: books },
    ];
    const atReady = await Promise.all(targets.map(({ db, table }) => count(db, table)));
    print(`catalog: ${books} books, ${listings} listings; at ready: ${targets.map((t, i) => `${t.name} ${atReady[i]}/${t.want}`).join(', ')}`);
    recordFigure('start.first.projectionsCompleteAtReady', targets.filter((target, i) => atReady[i]! >= target.want).length);
    recordFigure('start.first.projections', targets.length);
    const { rows } = await pools.cart!.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM carts c WHERE c.owner_id = ANY($1) AND EXISTS (SELECT 1 FROM cart_items i WHERE i.cart_id = c.id)`,
      [DEMO_USER_IDS],
    );
    print(`demo carts at ready: ${rows[0]!.n} of ${DEMO_USER_IDS.length} demo accounts' carts hold books`);
    recordFigure('start.first.demoCartsFilled', rows[0]!.n);
    recordFigure('start.first.demoAccounts', DEMO_USER_IDS.length);
    for (const target of targets) {
      const caughtUp = await pollUntil(async () => (await count(target.db, target.table)) >= target.want, 20, 900_000);
      print(`${target.name}: ${caughtUp ? `complete ${seconds(performance.now() - since)} after ready` : 'NOT complete after 15 min'}`);
    }
    print(`(ready was ${seconds(readyAfterMs)} after launch)`);
  } finally {
    await Promise.all(Object.values(pools).map((pool) => pool.end()));
  }
}

async function benchCheckout(router: Router): Promise<void> {
  const { shoppers, listings } = await prepareBuyers(router, buyers);
  const round = await checkoutRound(shoppers, listings, checkoutsPerBuyer);
  for (const line of describeRound(round, buyers, checkoutsPerBuyer)) print(line);
  const { p50, p95, perSecond } = roundFigures(round);
  recordFigure('checkout.awaitingPayment.p50', p50);
  recordFigure('checkout.awaitingPayment.p95', p95);
  recordFigure('checkout.perSecond', perSecond);
  recordFigure('checkout.failed', round.failures.length);
}

/** A start's figures for `npm run bench -- events`: time to ready, and the projections' catch-up within it. */
function recordStart(start: 'first' | 'kept', readyAfterMs: number, output: string): void {
  recordFigure(`start.${start}.readyS`, readyAfterMs / 1000);
  const caughtUpS = catchUpSeconds(output);
  if (caughtUpS !== undefined) recordFigure(`start.${start}.catchUpS`, caughtUpS);
}

/** The launcher's start timings (`--timings`): its steps, then each service's phases. */
async function printTimings(launched: LaunchedStack): Promise<void> {
  await launched.waitFor(/processes: /);
  const lines = launched.output().split('\n');
  const first = lines.findIndex((line) => line.includes('start timings'));
  if (first < 0) return;
  for (const line of lines.slice(first).filter((line) => /start timings|^\[bazaar\] {3}/.test(line))) print(line.replace(/^\[bazaar\] /, ''));
}

/** What the launcher said about catching up (the time the projections took to take in the events already published). */
function phases(output: string): string {
  const caughtUpS = catchUpSeconds(output);
  return caughtUpS === undefined ? '' : ` (of which the projections' catch-up: ${caughtUpS.toFixed(1)} s)`;
}

/** The projections' catch-up the launcher reported, in seconds (it prints one decimal). */
function catchUpSeconds(output: string): number | undefined {
  const caughtUp = /projections caught up in ([\d.]+) s/.exec(output);
  return caughtUp ? Number(caughtUp[1]) : undefined;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
