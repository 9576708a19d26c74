/*
 * The events benchmark's wiring, through the real stack (npm start's launcher on a fresh data
 * folder, the router, every subgraph, both transports): `npm run bench -- events` with few hops and
 * checkouts. Asserts that every figure was measured and printed beside its target, and that the
 * demo carts and projections were complete at ready; no speed is asserted.
 */
import { describe, expect, it } from 'vitest';
import { runBench } from './run-bench';

const FIGURES = [
  'event hop p50, Postgres transport',
  'event hop p95, Postgres transport',
  'event hop p50, Kafka transport',
  'event hop p95, Kafka transport',
  'placeOrder -> AWAITING_PAYMENT p50',
  'placeOrder -> AWAITING_PAYMENT p95',
  'complete checkouts per second',
  'checkouts that failed',
  'first start: npm start -> ready',
  "first start: of which the projections' catch-up",
  'first start: projections complete at ready',
  'first start: demo carts filled at ready',
  'data kept: npm start -> ready',
  "data kept: of which the projections' catch-up",
];

describe('npm run bench -- events', () => {
  it('prints every figure of the events issue beside its target', { timeout: 900_000 }, async () => {
    const { code, output } = await runBench(['events', '--hops', '20', '--buyers', '2', '--checkouts', '2']);
    expect(code, output).toBe(0);
    const summary = output.slice(output.indexOf('every figure beside its target'));
    expect(summary, output).not.toBe('');
    for (const figure of FIGURES) {
      const row = summary.split('\n').find((line) => line.includes(`  ${figure}  `));
      expect(row, `${figure}\n${output}`).toBeDefined();
      expect(row, output).not.toContain('not measured');
    }
    const row = (figure: string) => summary.split('\n').find((line) => line.includes(figure))!;
    // What the machine's speed cannot change: nothing failed, and everything was in place at ready.
    expect(row('checkouts that failed'), output).toMatch(/ 0 +≤ 0 +met$/);
    expect(row('projections complete at ready'), output).toMatch(/4 of 4 +all +met$/);
    expect(row('demo carts filled at ready'), output).toMatch(/5 of 5 +all +met$/);
    expect(summary, output).toMatch(/CPU reference: \d+ ms before, \d+ ms after/);
  });
});
