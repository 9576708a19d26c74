/*
 * The reads benchmark's wiring, through the real stack (npm start's launcher, Hive Gateway, the
 * books subgraph, the bare relay): `npm run bench -- reads` with one connection and one short round per target.
 * Asserts that every target answered every operation with the same JSON and no failed request, and
 * that statements were counted; no speed is asserted (the machine may be busy). The demo catalog is
 * cut to 200 books: the wiring is the same, and the first start's catch-up is a tenth as long.
 */
import { describe, expect, it } from 'vitest';
import { runBench } from './run-bench';

interface Figures {
  figures: {
    operation: string;
    sameJson: boolean;
    targets: { target: string; failures: number }[];
    statements: Record<string, Record<string, number>>;
  }[];
}

describe('npm run bench', () => {
  it('names the benchmarks it knows when given another', async () => {
    const { code, output } = await runBench(['nonsense']);
    expect(code).toBe(2);
    expect(output).toContain('one of stack, reads, hops, checkout, search, events');
  });

  it('reads: every target gives the same JSON for every operation, and statements are counted', { timeout: 900_000 }, async () => {
    const { code, output } = await runBench(['reads', '--rounds', '1', '--seconds', '1', '--connections', '1', '--json']);
    expect(code, output).toBe(0);
    const { figures } = JSON.parse(output.trim().split('\n').at(-1)!) as Figures;
    expect(figures.map(({ operation }) => operation)).toEqual(['search page', 'browse page', 'book page', 'cart', 'plain list']);
    for (const { operation, sameJson, targets, statements } of figures) {
      expect(sameJson, operation).toBe(true);
      const expected = ['router', 'router-dedup-off', 'hive-dedup-off', 'hive-dedup-on', ...(operation === 'plain list' ? ['subgraph', 'relay'] : [])];
      expect(targets.map(({ target }) => target), operation).toEqual(expected);
      // Throughput may be zero in a one-second round on a busy machine; a failed request never is fine.
      for (const { target, failures } of targets) expect(failures, `${operation} → ${target}`).toBe(0);
      expect(statements.router?.books ?? 0, operation === 'cart' ? 'the cart reads listings from books' : operation).toBeGreaterThan(0);
    }
  });
});
