/*
 * The search benchmark's wiring, through the real stack (npm start's launcher, the router, the books
 * subgraph, the two-hop floor's bare processes): `npm run bench -- search` on 5,000 generated books
 * (enough for page 50 of the common word) with one round. Asserts that every search was timed
 * through all four paths (SQL alone, the floor, the books subgraph, the router), each answering
 * without error; no speed is asserted.
 */
import { describe, expect, it } from 'vitest';
import { runBench } from './run-bench';

const SEARCHES = ['typo', 'common word ("story")', 'author', 'genre + price sort', 'common word, page 50', 'unfiltered browse', 'unfiltered browse, newest'];

describe('npm run bench -- search', () => {
  it('times every search as SQL alone, through the two-hop floor, the books subgraph and the router', { timeout: 900_000 }, async () => {
    const { code, output } = await runBench(['search', '--size', '5000', '--runs', '1']);
    expect(code, output).toBe(0);
    const timed = output.split('\n').filter((line) => / \| [\d.]+ \/ [\d.]+ ms \| /.test(line));
    expect(timed, output).toHaveLength(SEARCHES.length);
    for (const [index, name] of SEARCHES.entries()) {
      const line = timed[index]!;
      expect(line, output).toContain(name);
      // Four timed paths, then three ratios: none left out ('–').
      expect(line.match(/[\d.]+ \/ [\d.]+ ms/g), line).toHaveLength(4);
      expect(line.split('|').at(-1)!.trim(), line).toMatch(/^[\d.]+, [\d.]+, [\d.]+$/);
    }
  });
});
