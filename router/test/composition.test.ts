import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { composeSupergraph } from '../src/compose';
import { SUPERGRAPH_PATH } from '../src/subgraphs';

describe('the committed supergraph', () => {
  it('is exactly what composing the subgraphs gives (run `npm run compose` after changing an SDL)', () => {
    const { supergraphSdl } = composeSupergraph();
    expect(readFileSync(SUPERGRAPH_PATH, 'utf8')).toBe(supergraphSdl);
  });

  it('composes without hints', () => {
    expect(composeSupergraph().hints).toEqual([]);
  });
});
