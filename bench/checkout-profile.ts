/*
 * Where a checkout's time and CPU go (`npm run bench:checkout`, options after `--`):
 *   - one buyer alone (latency without contention), then N buyers at once;
 *   - for each: placeOrder -> AWAITING_PAYMENT p50/p95/max, checkouts per second, CPU ms per
 *     complete checkout of every process of the stack (from /proc), and each hop of the saga's
 *     first half from the databases' own timestamps (transaction starts: outbox row written,
 *     relay picked it up, consumer's transaction began);
 *   - with --cpu-prof, every Node service is profiled during the N-buyer round
 *     (cpu-profile-hook.mjs) and its self time summed per package and per function;
 *   - with --statements, Postgres counts every statement of the N-buyer round (pg_stat_statements,
 *     preloaded before the stack starts): calls and execution time per checkout for each database,
 *     and the statements that took most.
 * Options: --buyers 10 --checkouts 10 --data <dir> (kept between runs: a second run skips the
 * first start's seeding) --cpu-prof [--keep-profiles] --statements --top 12 --sort-by time|calls.
 */
import { chmod, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { freePort, freeSubgraphPorts, launchStack } from '@bazaar/devstack/launch';
import { summariseProfile } from './cpu-profile';
import { preloadStatementStatistics, statementTotals, type StatementTotal } from './statement-statistics';
import { cpuBetween, stackCpu } from './process-cpu';
import { checkoutRound, describeRound, percentiles, pollUntil, prepareBuyers, Router, type CheckoutRound } from './router-client';

const { values } = parseArgs({
  options: {
    buyers: { type: 'string', default: '10' },
    checkouts: { type: 'string', default: '10' },
    data: { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
    /** Leave the .cpuprofile files for Chrome's DevTools or profile-summary.ts. */
    'keep-profiles': { type: 'boolean', default: false },
    statements: { type: 'boolean', default: false },
    top: { type: 'string', default: '12' },
    'sort-by': { type: 'string', default: 'time' },
  },
});
const buyers = Number(values.buyers);
const perBuyer = Number(values.checkouts);
const print = (line: string) => console.log(`[checkout] ${line}`);

const dataDir = values.data ? path.resolve(values.data) : await mkdtemp(path.join(tmpdir(), 'bazaar-checkout-'));
await mkdir(dataDir, { recursive: true });
await chmod(dataDir, 0o755); // the postgres OS user must reach it
const profileDir = await mkdtemp(path.join(tmpdir(), 'bazaar-cpuprof-'));
const postgresPort = await freePort();
const env: Record<string, string> = {
  BAZAAR_DATA_DIR: dataDir,
  POSTGRES_PORT: postgresPort,
  ROUTER_PORT: await freePort(),
  ...(await freeSubgraphPorts()),
  // Every bench buyer signs up from this machine's address; runs on kept data would hit the hourly limit.
  SIGNUPS_PER_ADDRESS_PER_HOUR: '100000',
  ...(values['cpu-prof']
    ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${fileURLToPath(new URL('./cpu-profile-hook.mjs', import.meta.url))}`.trim(), BAZAAR_CPU_PROFILE_DIR: profileDir }
    : {}),
};
const admin = (database: string) => `postgresql://postgres:postgres@127.0.0.1:${postgresPort}/${database}`;

if (values.statements) await preloadStatementStatistics(path.join(dataDir, 'postgres'), postgresPort);
const stack = launchStack(env);
try {
  const [, routerUrl] = await stack.waitFor(/Book Bazaar is running: (\S+)/, 900_000);
  print(`stack ready (data in ${dataDir}); load average ${loadAverage()}`);
  const idleCores = await printIdleCpu(stack.child.pid!);
  const router = new Router(routerUrl!);
  const { shoppers, listings } = await prepareBuyers(router, buyers);
  for (const count of [1, buyers]) {
    const sessionsBefore = await sessionsByDatabase();
    const before = stackCpu(stack.child.pid!);
    const profiling = values['cpu-prof'] && count === buyers;
    const countingStatements = values.statements && count === buyers;
    if (countingStatements) await statementTotals(admin('postgres'), true);
    if (profiling) toggleProfilers(before.pids);
    const round = await checkoutRound(shoppers.slice(0, count), listings, perBuyer);
    const after = stackCpu(stack.child.pid!);
    if (profiling) toggleProfilers(after.pids);
    for (const line of describeRound(round, count, perBuyer)) print(line);
    print(`  load average ${loadAverage()}`);
    printCpu(cpuBetween(before.cpuMs, after.cpuMs), round, 'CPU ms per checkout', idleCores);
    printCpu(cpuBetween(before.postgresMs, after.postgresMs), round, 'Postgres CPU ms per checkout by database');
    const opened = [...cpuBetween(sessionsBefore, await sessionsByDatabase())].filter(([, count]) => count > 0);
    print(`  Postgres sessions opened during the round: ${opened.map(([database, count]) => `${database} ${count}`).join(', ') || 'none'}`);
    await printHops(round);
    if (countingStatements) printStatements(await statementTotals(admin('postgres')), round);
    if (profiling) await printProfiles(after.pids);
  }
} finally {
  stack.child.kill('SIGINT');
  await stack.exited;
  if (values['keep-profiles'] && values['cpu-prof']) print(`profiles kept in ${profileDir}`);
  else await rm(profileDir, { recursive: true, force: true });
  if (!values.data) await rm(dataDir, { recursive: true, force: true });
}

/** Calls and execution time per checkout for each database, then the statements that took most. */
function printStatements(totals: StatementTotal[], round: CheckoutRound): void {
  const checkouts = Math.max(1, round.orderIds.length);
  const byDatabase = new Map<string, { calls: number; totalMs: number }>();
  for (const { database, calls, totalMs } of totals) {
    const sum = byDatabase.get(database) ?? { calls: 0, totalMs: 0 };
    byDatabase.set(database, { calls: sum.calls + calls, totalMs: sum.totalMs + totalMs });
  }
  const databases = [...byDatabase].sort((a, b) => b[1].totalMs - a[1].totalMs);
  print(`  statements per checkout by database (calls, execution ms): ${databases.map(([name, { calls, totalMs }]) => `${name} ${(calls / checkouts).toFixed(1)}, ${(totalMs / checkouts).toFixed(2)}`).join('; ')}`);
  const byCalls = values['sort-by'] === 'calls';
  print(`  statements that ${byCalls ? 'ran most often' : 'took most'} (calls per checkout, ms per call, ms per checkout):`);
  const order = byCalls ? (a: StatementTotal, b: StatementTotal) => b.calls - a.calls : (a: StatementTotal, b: StatementTotal) => b.totalMs - a.totalMs;
  for (const { database, query, calls, totalMs } of [...totals].sort(order).slice(0, Number(values.top))) {
    const text = query.replace(/\s+/g, ' ').slice(0, 140);
    print(`    ${(calls / checkouts).toFixed(1).padStart(5)} × ${(totalMs / Math.max(1, calls)).toFixed(3)} ms = ${(totalMs / checkouts).toFixed(2).padStart(6)} ms  [${database}] ${text}`);
  }
}

/** Sessions opened so far per database (a new backend costs Postgres a fork and cold caches). */
async function sessionsByDatabase(): Promise<Map<string, number>> {
  const client = new pg.Client({ connectionString: admin('postgres') });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string; sessions: string }>('SELECT datname, sessions FROM pg_stat_database WHERE datname IS NOT NULL');
    return new Map(rows.map((row) => [row.datname, Number(row.sessions)]));
  } finally {
    await client.end();
  }
}

/** What the stack burns doing nothing (sweeps, polls, relays' fallback polls): the floor under every figure. */
async function printIdleCpu(rootPid: number): Promise<number> {
  const idleMs = 10_000;
  const before = stackCpu(rootPid);
  await new Promise((resolve) => setTimeout(resolve, idleMs));
  const used = cpuBetween(before.cpuMs, stackCpu(rootPid).cpuMs);
  const rows = [...used].filter(([, ms]) => ms > 0).sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((sum, [, ms]) => sum + ms, 0);
  print(`idle for ${idleMs / 1000} s: ${(total / idleMs).toFixed(3)} cores busy (${rows.map(([name, ms]) => `${name} ${ms.toFixed(0)} ms`).join(', ')})`);
  return total / idleMs;
}

/**
 * With `idleCores`, also what the checkouts cost above the idle floor: on a busy machine a round
 * takes longer and the floor's share of each checkout grows with it, hiding the checkout's own cost.
 */
function printCpu(cpuMs: Map<string, number>, round: CheckoutRound, title: string, idleCores?: number): void {
  const checkouts = Math.max(1, round.orderIds.length);
  const rows = [...cpuMs].filter(([, ms]) => ms > 0).sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((sum, [, ms]) => sum + ms, 0);
  const perCheckout = rows.map(([name, ms]) => `${name} ${(ms / checkouts).toFixed(0)}`).join(', ');
  const aboveIdle = idleCores === undefined ? '' : `; above the idle floor ${((total - idleCores * round.elapsedMs) / checkouts).toFixed(0)}`;
  print(`  ${title}: total ${(total / checkouts).toFixed(0)} (${perCheckout}); ${(total / round.elapsedMs).toFixed(2)} cores busy${aboveIdle}`);
}

/** Each step from placeOrder to AWAITING_PAYMENT, from the timestamps the services wrote themselves. */
async function printHops(round: CheckoutRound): Promise<void> {
  const orders = new pg.Client({ connectionString: admin('orders') });
  const books = new pg.Client({ connectionString: admin('books') });
  await Promise.all([orders.connect(), books.connect()]);
  try {
    const ids = round.orderIds;
    const placed = await orders.query<{ key: string; id: string; created: Date; published: Date }>(
      `SELECT key, id, created_at AS created, published_at AS published FROM outbox_events WHERE type = 'OrderPlaced' AND key = ANY($1)`,
      [ids],
    );
    const reserved = await books.query<{ key: string; id: string; created: Date; published: Date }>(
      `SELECT key, id, created_at AS created, published_at AS published FROM outbox_events WHERE type = 'StockReserved' AND key = ANY($1)`,
      [ids],
    );
    const handledInBooks = await books.query<{ event_id: string; at: Date }>(`SELECT event_id, processed_at AS at FROM processed_events WHERE event_id = ANY($1::uuid[])`, [
      placed.rows.map((row) => row.id),
    ]);
    const handledInOrders = await orders.query<{ event_id: string; at: Date }>(`SELECT event_id, processed_at AS at FROM processed_events WHERE event_id = ANY($1::uuid[])`, [
      reserved.rows.map((row) => row.id),
    ]);
    const awaiting = await orders.query<{ order_id: string; at: Date }>(
      `SELECT order_id, at FROM order_status_changes WHERE status = 'AWAITING_PAYMENT' AND order_id = ANY($1)`,
      [ids],
    );
    const byKey = <Row extends { key: string }>(rows: Row[]) => new Map(rows.map((row) => [row.key, row]));
    const byEvent = (rows: { event_id: string; at: Date }[]) => new Map(rows.map((row) => [row.event_id, row.at]));
    const placedBy = byKey(placed.rows);
    const reservedBy = byKey(reserved.rows);
    const booksAt = byEvent(handledInBooks.rows);
    const ordersAt = byEvent(handledInOrders.rows);
    const awaitingAt = new Map(awaiting.rows.map((row) => [row.order_id, row.at]));
    // Timestamps are transaction starts (now()), so a step includes the rest of the transaction before it and its commit.
    const steps: Record<string, number[]> = {
      'placeOrder transaction + commit -> orders relay picks OrderPlaced up': [],
      'relay publishes -> books begins handling': [],
      'books handles + commits -> books relay picks StockReserved up': [],
      'relay publishes -> orders begins handling': [],
      'orders handling -> AWAITING_PAYMENT recorded': [],
    };
    for (const id of ids) {
      const p = placedBy.get(id);
      const r = reservedBy.get(id);
      const handledByBooks = p && booksAt.get(p.id);
      const handledByOrders = r && ordersAt.get(r.id);
      const end = awaitingAt.get(id);
      if (!p || !r || !handledByBooks || !handledByOrders || !end) continue;
      const gap = (from: Date, to: Date) => to.getTime() - from.getTime();
      steps['placeOrder transaction + commit -> orders relay picks OrderPlaced up']!.push(gap(p.created, p.published));
      steps['relay publishes -> books begins handling']!.push(gap(p.published, handledByBooks));
      steps['books handles + commits -> books relay picks StockReserved up']!.push(gap(handledByBooks, r.published));
      steps['relay publishes -> orders begins handling']!.push(gap(r.published, handledByOrders));
      steps['orders handling -> AWAITING_PAYMENT recorded']!.push(gap(handledByOrders, end));
    }
    for (const [step, samples] of Object.entries(steps)) {
      const { p50, p95, max } = percentiles(samples);
      print(`  hop ${step}: p50 ${p50} ms, p95 ${p95} ms, max ${max} ms`);
    }
  } finally {
    await Promise.all([orders.end(), books.end()]);
  }
}

/** SIGUSR2 starts, and then stops, the profiler of each Node service (cpu-profile-hook.mjs). */
function toggleProfilers(pids: Map<number, string>): void {
  for (const [pid, name] of pids) if (name !== 'launcher') process.kill(pid, 'SIGUSR2');
}

async function printProfiles(pids: Map<number, string>): Promise<void> {
  const top = Number(values.top);
  const services = [...pids.values()].filter((name) => name !== 'launcher');
  // Each service writes its profile when the signal reaches it.
  await pollUntil(async () => (await readdir(profileDir)).length >= services.length, 100, 60_000);
  for (const file of (await readdir(profileDir)).filter((name) => name.endsWith('.cpuprofile'))) {
    const name = pids.get(Number(file.split('.')[0]));
    if (!name || name === 'launcher') continue;
    const summary = summariseProfile(path.join(profileDir, file), top);
    const share = (ms: number) => `${((100 * ms) / summary.busyMs).toFixed(1)}%`;
    print(`profile ${name}: ${(summary.busyMs / 1000).toFixed(1)} s busy during the ${buyers}-buyer round`);
    print(`  by package: ${summary.byPackage.map(([owner, ms]) => `${owner} ${share(ms)}`).join(', ')}`);
    for (const [fn, ms] of summary.byFunction) print(`  ${share(ms).padStart(6)} ${fn}`);
  }
}

function loadAverage(): string {
  return loadavg()
    .map((value) => value.toFixed(1))
    .join(' ');
}
