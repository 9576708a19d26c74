/**
 * Figures a benchmark hands on to `npm run bench -- events` (bench/events.ts), which names a file in
 * BAZAAR_BENCH_FIGURES and prints every figure beside its target. Without it, recording does nothing.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';

export const FIGURES_FILE_VARIABLE = 'BAZAAR_BENCH_FIGURES';

export function recordFigure(name: string, value: number): void {
  const file = process.env[FIGURES_FILE_VARIABLE];
  if (file) appendFileSync(file, `${JSON.stringify({ name, value })}\n`);
}

/** The figures recorded in `file`, the last of each name winning. */
export function readFigures(file: string): Map<string, number> {
  const figures = new Map<string, number>();
  if (!existsSync(file)) return figures;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const { name, value } = JSON.parse(line) as { name: string; value: number };
    figures.set(name, value);
  }
  return figures;
}

/**
 * A fixed piece of JavaScript work (JSON round trips of a thousand orders, as a subgraph answers
 * them), in ms. This VM's speed drifts by 15–30 % between spells with nothing else running; the
 * figure says which spell a run met, so runs of different hours can be told apart.
 */
export function cpuReferenceMs(): number {
  const document = {
    data: {
      orders: Array.from({ length: 1_000 }, (_, index) => ({
        id: `0193a000-0000-7000-8000-${String(index).padStart(12, '0')}`,
        status: 'AWAITING_PAYMENT',
        total: { amount: index * 100, currency: 'EUR' },
        lines: [{ title: 'The Benchmark', quantity: 1 }],
      })),
    },
  };
  const timings: number[] = [];
  for (let round = 0; round < 5; round++) {
    const started = performance.now();
    for (let i = 0; i < 30; i++) JSON.parse(JSON.stringify(document));
    timings.push(performance.now() - started);
  }
  // The fastest round: the least disturbed by whatever else ran at that moment.
  return Math.min(...timings);
}
