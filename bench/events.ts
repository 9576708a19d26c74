/*
 * Every figure of "events in milliseconds" in one run (`npm run bench -- events`), then each beside
 * its target (docs/events.md):
 *   1. one event hop per transport (bench/hops.ts);
 *   2. the stack (bench/stack.ts): first start to ready and the projections' catch-up, the demo
 *      carts and projections at ready, checkout with 10 buyers, start with the data kept;
 *   3. a CPU reference before and after, to tell this VM's slower spells from a slower stack.
 * Options: --hops 200 (to hops.ts); the rest go to stack.ts (--buyers 10 --checkouts 10).
 * The exit code is the benchmarks' own; a missed target is printed, not failed.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuReferenceMs, FIGURES_FILE_VARIABLE, readFigures } from './figures';

interface Target {
  figure: string;
  label: string;
  unit: 'ms' | 's' | '/s' | '';
  /** The target: at most or at least this; none for figures shown for context. */
  atMost?: number;
  atLeast?: number;
  /** A target that is another figure (e.g. every demo account's cart). */
  atLeastFigure?: string;
}

const TARGETS: Target[] = [
  { figure: 'hop.postgres.p50', label: 'event hop p50, Postgres transport', unit: 'ms', atMost: 20 },
  { figure: 'hop.postgres.p95', label: 'event hop p95, Postgres transport', unit: 'ms' },
  { figure: 'hop.kafka.p50', label: 'event hop p50, Kafka transport', unit: 'ms', atMost: 20 },
  { figure: 'hop.kafka.p95', label: 'event hop p95, Kafka transport', unit: 'ms' },
  { figure: 'checkout.awaitingPayment.p50', label: 'placeOrder -> AWAITING_PAYMENT p50', unit: 'ms', atMost: 150 },
  { figure: 'checkout.awaitingPayment.p95', label: 'placeOrder -> AWAITING_PAYMENT p95', unit: 'ms', atMost: 400 },
  { figure: 'checkout.perSecond', label: 'complete checkouts per second', unit: '/s', atLeast: 20 },
  { figure: 'checkout.failed', label: 'checkouts that failed', unit: '', atMost: 0 },
  { figure: 'start.first.readyS', label: 'first start: npm start -> ready', unit: 's', atMost: 60 },
  { figure: 'start.first.catchUpS', label: "first start: of which the projections' catch-up", unit: 's' },
  { figure: 'start.first.projectionsCompleteAtReady', label: 'first start: projections complete at ready', unit: '', atLeastFigure: 'start.first.projections' },
  { figure: 'start.first.demoCartsFilled', label: 'first start: demo carts filled at ready', unit: '', atLeastFigure: 'start.first.demoAccounts' },
  { figure: 'start.kept.readyS', label: 'data kept: npm start -> ready', unit: 's', atMost: 20 },
  { figure: 'start.kept.catchUpS', label: "data kept: of which the projections' catch-up", unit: 's' },
];

const args = process.argv.slice(2);
const hopsAt = args.indexOf('--hops');
const hopsArgs = hopsAt >= 0 ? args.splice(hopsAt, 2) : [];

const workDir = await mkdtemp(path.join(tmpdir(), 'bazaar-bench-events-'));
const figuresFile = path.join(workDir, 'figures.jsonl');
try {
  const referenceBefore = cpuReferenceMs();
  console.log(`[bench] CPU reference (bench/figures.ts) before: ${referenceBefore.toFixed(0)} ms`);
  for (const [script, scriptArgs] of [
    ['./hops.ts', hopsArgs],
    ['./stack.ts', args],
  ] as const) {
    const code = await run(script, scriptArgs);
    if (code !== 0) {
      console.error(`[bench] ${script} exited with ${code}`);
      process.exit(code ?? 1);
    }
  }
  const referenceAfter = cpuReferenceMs();
  printSummary(readFigures(figuresFile), referenceBefore, referenceAfter);
} finally {
  await rm(workDir, { recursive: true, force: true });
}

function run(script: string, scriptArgs: readonly string[]): Promise<number | null> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL(script, import.meta.url)), ...scriptArgs], {
    stdio: 'inherit',
    env: { ...process.env, [FIGURES_FILE_VARIABLE]: figuresFile },
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => child.kill(signal));
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

function printSummary(figures: Map<string, number>, referenceBefore: number, referenceAfter: number): void {
  const rows = TARGETS.map((target) => {
    const value = figures.get(target.figure);
    const wanted = target.atLeastFigure ? figures.get(target.atLeastFigure) : undefined;
    const shown = value === undefined ? 'not measured' : `${format(value, target.unit)}${wanted === undefined ? '' : ` of ${wanted}`}`;
    const { goal, met } = judge(target, value, wanted);
    return [target.label, shown, goal, met === undefined ? '' : met ? 'met' : 'MISSED'];
  });
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
  console.log('[bench]');
  console.log('[bench] events in milliseconds: every figure beside its target (quiet machine)');
  for (const row of rows) console.log(`[bench]   ${row.map((cell, column) => (column < 3 ? cell.padEnd(widths[column]!) : cell)).join('  ')}`.trimEnd());
  console.log(`[bench]   CPU reference: ${referenceBefore.toFixed(0)} ms before, ${referenceAfter.toFixed(0)} ms after (lower is a faster spell of this machine)`);
}

/** The target as printed, and whether `value` meets it (undefined: no target, or nothing measured). */
function judge(target: Target, value: number | undefined, wanted: number | undefined): { goal: string; met?: boolean } {
  if (target.atMost !== undefined) return { goal: `≤ ${format(target.atMost, target.unit)}`, met: value === undefined ? undefined : value <= target.atMost };
  if (target.atLeast !== undefined) return { goal: `≥ ${format(target.atLeast, target.unit)}`, met: value === undefined ? undefined : value >= target.atLeast };
  if (target.atLeastFigure) return { goal: 'all', met: value === undefined || wanted === undefined ? undefined : value >= wanted };
  return { goal: '' };
}

function format(value: number, unit: Target['unit']): string {
  if (unit === 's') return `${value.toFixed(1)} s`;
  if (unit === '/s') return `${value.toFixed(1)}/s`;
  if (unit === 'ms') return `${Math.round(value)} ms`;
  return String(value);
}
