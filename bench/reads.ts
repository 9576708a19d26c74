/*
 * The storefront's reads (`npm run bench -- reads`): search page, browse page, book page, cart and a
 * plain list, sent with autocannon at a fixed number of connections to our router, to Hive Gateway
 * over the same supergraph and subgraph processes (deduplication off, then on), and to the books
 * subgraph directly for what it answers alone, directly and through a bare relay (bench/floor.ts: the
 * most any router without deduplication could reach here). Targets take turns in short rounds (A B C A B C …) so
 * a busy machine weighs on all alike. Prints per operation: req/s and p95 per target, the ratios, CPU
 * per request of each process, and SQL statements per request. Every target must give the same JSON.
 * Options: --rounds 3 --seconds 5 --connections 10 --only "book page,cart" --json (a last line with
 * every figure, for tools); --baseline <git ref> adds the router as that commit has it (e.g. main) as
 * a target of its own, for before/after figures; --profile <dir> writes a CPU profile of each gateway
 * the benchmark starts itself (Hive Gateway, the baseline router: `--baseline HEAD` profiles today's
 * router) into <dir>; `tsx bench/profile-summary.ts <file>` sums it by package and function;
 * --profile-stack <dir> profiles the launched stack's processes (router, subgraphs) over the measured
 * rounds of every selected operation and prints each one's self time by package and function.
 */
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { CLIENT_ADDRESS_HEADER, SIGNATURE_HEADER, signRequest } from '@bazaar/service';
import { SUBGRAPHS } from '@bazaar/topology';
import { runRound, type Round, type Target } from './reads/load';
import { readOperations, type ReadOperation } from './reads/operations';
import { startReadsStack, type ReadsStack } from './reads/stack';
import { statementsPerRequest } from './reads/statements';
import { summariseProfile } from './cpu-profile';
import { percentiles, pollUntil } from './router-client';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '10' },
    only: { type: 'string' },
    json: { type: 'boolean', default: false },
    baseline: { type: 'string' },
    profile: { type: 'string' },
    'profile-stack': { type: 'string' },
  },
});
const options = { rounds: Number(values.rounds), seconds: Number(values.seconds), connections: Number(values.connections) };
const print = (line: string) => console.log(`[bench] ${line}`);
const SUBGRAPH_NAMES = new Set(SUBGRAPHS.map(({ name }) => name));

interface OperationFigures {
  operation: string;
  sameJson: boolean;
  targets: { target: string; requestsPerSecond: number; p95Ms: number; failures: number; gatewayCpuMsPerRequest: number; subgraphsCpuMsPerRequest: number }[];
  ratios: Record<string, number>;
  statements: Record<string, Record<string, number>>;
}

const stackProfileDir = values['profile-stack'] ? path.resolve(values['profile-stack']) : undefined;
if (stackProfileDir) await mkdir(stackProfileDir, { recursive: true });
const stack = await startReadsStack(print, {
  ...(values.baseline ? { baseline: values.baseline } : {}),
  ...(values.profile ? { profileDir: values.profile } : {}),
  ...(stackProfileDir ? { stackProfileDir } : {}),
});
try {
  const operations = (await readOperations(stack.routerUrl)).filter(({ name }) => !values.only || values.only.split(',').includes(name));
  print(`${options.connections} connections, ${options.rounds} rounds of ${options.seconds} s per target, targets interleaved; processes: ${JSON.stringify(stack.pids)}`);
  const figures: OperationFigures[] = [];
  for (const operation of operations) figures.push(await benchOperation(stack, operation));
  if (stackProfileDir) await printStackProfiles(stack, stackProfileDir);
  if (values.json) console.log(JSON.stringify({ options, figures }));
  if (figures.some(({ sameJson }) => !sameJson)) process.exitCode = 1;
} finally {
  await stack.stop();
}

function targetsFor(stack: ReadsStack, operation: ReadOperation): Target[] {
  const client = (): Record<string, string> => (operation.authorization ? { authorization: operation.authorization } : {});
  const targets: Target[] = [
    { name: 'router', url: stack.routerUrl, headers: client },
    { name: 'router-dedup-off', url: stack.routerDedupOffUrl, headers: client },
    ...(stack.baselineRouterUrl ? [{ name: 'router-baseline', url: stack.baselineRouterUrl, headers: client }] : []),
    { name: 'hive-dedup-off', url: stack.hiveUrls.dedupOff, headers: client },
    { name: 'hive-dedup-on', url: stack.hiveUrls.dedupOn, headers: client },
  ];
  if (operation.subgraph) {
    // Signed as the router signs; fresh for each round, as a signature is only valid for a minute.
    const signed = () => ({
      ...client(),
      [CLIENT_ADDRESS_HEADER]: '127.0.0.1',
      [SIGNATURE_HEADER]: signRequest(stack.signingSecret, { method: 'POST', body: JSON.parse(operation.body) as unknown, clientAddress: '127.0.0.1' }),
    });
    targets.push({ name: 'subgraph', url: stack.subgraphUrls[operation.subgraph]!, headers: signed });
    const relay = stack.relayUrls[operation.subgraph];
    if (relay) targets.push({ name: 'relay', url: relay, headers: signed });
  }
  return targets;
}

async function send(target: Target, body: string): Promise<string> {
  const response = await fetch(target.url, { method: 'POST', headers: { 'content-type': 'application/json', ...target.headers() }, body });
  return response.text();
}

async function benchOperation(stack: ReadsStack, operation: ReadOperation): Promise<OperationFigures> {
  const targets = targetsFor(stack, operation);
  // Each target's own answer, byte for byte, is what autocannon then expects of it on every request.
  const answers = new Map<string, string>();
  for (const target of targets) answers.set(target.name, await send(target, operation.body));
  const reference = JSON.parse(answers.get('router')!) as { errors?: unknown };
  const sameJson = !reference.errors && targets.every(({ name }) => isDeepStrictEqual(JSON.parse(answers.get(name)!), reference));
  print(`${operation.name}: ${sameJson ? 'the same JSON from every target' : 'ANSWERS DIFFER'} (${answers.get('router')!.length} bytes)`);
  if (!sameJson) for (const [name, answer] of answers) print(`  ${name}: ${answer.slice(0, 600)}`);

  const statements: Record<string, Record<string, number>> = {};
  for (const target of targets.filter(({ name }) => name === 'router' || name === 'hive-dedup-off')) {
    statements[target.name] = await statementsPerRequest(stack.admin, () => send(target, operation.body).then(() => {}), 10);
  }

  const pids = stack.pids;
  for (const target of targets) await runRound(target, operation.body, answers.get(target.name)!, { connections: options.connections, seconds: 1 }, pids); // warm-up
  const rounds = new Map<string, Round[]>(targets.map(({ name }) => [name, []]));
  if (stackProfileDir) toggleStackProfilers(stack);
  for (let round = 0; round < options.rounds; round++) {
    // Rotate who goes first, so no target always follows the same neighbour.
    const order = targets.map((_, index) => targets[(index + round) % targets.length]!);
    for (const target of order) rounds.get(target.name)!.push(await runRound(target, operation.body, answers.get(target.name)!, options, pids));
  }

  if (stackProfileDir) toggleStackProfilers(stack);
  const summary = targets.map((target) => {
    const measured = rounds.get(target.name)!;
    const requests = measured.reduce((total, { requests }) => total + requests, 0);
    const cpu = (names: string[]) => measured.reduce((total, { cpuMs }) => total + names.reduce((sum, name) => sum + (cpuMs[name] ?? 0), 0), 0) / Math.max(1, requests);
    const gateway = target.name === 'subgraph' ? [] : [target.name];
    return {
      target: target.name,
      requestsPerSecond: measured.reduce((total, { requestsPerSecond }) => total + requestsPerSecond, 0) / measured.length,
      p95Ms: percentiles(measured.flatMap(({ latencies }) => latencies)).p95,
      failures: measured.reduce((total, { failures }) => total + failures, 0),
      gatewayCpuMsPerRequest: cpu(gateway),
      subgraphsCpuMsPerRequest: cpu(Object.keys(pids).filter((name) => SUBGRAPH_NAMES.has(name))),
    };
  });
  const throughput = (name: string) => summary.find(({ target }) => target === name)?.requestsPerSecond;
  const ratios: Record<string, number> = {};
  for (const other of ['router-baseline', 'hive-dedup-off', 'hive-dedup-on', 'subgraph']) {
    const theirs = throughput(other);
    if (theirs) ratios[`router/${other}`] = throughput('router')! / theirs;
  }
  if (throughput('subgraph')) {
    ratios['router-dedup-off/subgraph'] = throughput('router-dedup-off')! / throughput('subgraph')!;
    // The ceiling of the line above: a relay that does nothing but forward, on the same two cores.
    if (throughput('relay')) ratios['relay/subgraph'] = throughput('relay')! / throughput('subgraph')!;
  }
  // Like for like: both gateways without deduplication.
  ratios['router-dedup-off/hive-dedup-off'] = throughput('router-dedup-off')! / throughput('hive-dedup-off')!;

  print(`${operation.name}:`);
  for (const line of summary) {
    print(
      `  ${line.target.padEnd(15)} ${line.requestsPerSecond.toFixed(0).padStart(6)} req/s  p95 ${String(line.p95Ms).padStart(4)} ms  ` +
        `CPU/request: gateway ${line.gatewayCpuMsPerRequest.toFixed(2)} ms, subgraphs ${line.subgraphsCpuMsPerRequest.toFixed(2)} ms` +
        (line.failures ? `  FAILURES ${line.failures}` : ''),
    );
  }
  print(`  throughput ratios: ${Object.entries(ratios).map(([name, ratio]) => `${name} ${ratio.toFixed(2)}`).join(', ')}`);
  print(`  SQL statements per request: ${Object.entries(statements).map(([name, counts]) => `${name} ${JSON.stringify(counts)}`).join(', ')}`);
  return { operation: operation.name, sameJson, targets: summary, ratios, statements };
}

/** The launched stack's processes: our router and the subgraphs (the benchmark's own gateways are not hooked). */
function stackProcesses(stack: ReadsStack): [string, number][] {
  return Object.entries(stack.pids).filter(([name]) => name === 'router' || SUBGRAPH_NAMES.has(name));
}

/** SIGUSR2 starts, the next one stops and writes, each stack process's profile (cpu-profile-hook.mjs). */
function toggleStackProfilers(stack: ReadsStack): void {
  for (const [, pid] of stackProcesses(stack)) process.kill(pid, 'SIGUSR2');
}

/** Each process's last written profile (the hook overwrites it per operation: use --only for one operation's). */
async function printStackProfiles(stack: ReadsStack, directory: string): Promise<void> {
  const processes = stackProcesses(stack);
  await pollUntil(async () => (await readdir(directory)).filter((file) => file.endsWith('.cpuprofile')).length >= processes.length, 100, 60_000);
  for (const [name, pid] of processes) {
    const summary = summariseProfile(path.join(directory, `${pid}.cpuprofile`), 15);
    const share = (ms: number) => `${((100 * ms) / summary.busyMs).toFixed(1)}%`;
    print(`profile ${name}: ${(summary.busyMs / 1000).toFixed(1)} s busy`);
    print(`  by package: ${summary.byPackage.slice(0, 12).map(([owner, ms]) => `${owner} ${share(ms)}`).join(', ')}`);
    for (const [fn, ms] of summary.byFunction) print(`  ${share(ms).padStart(6)} ${fn}`);
  }
}
