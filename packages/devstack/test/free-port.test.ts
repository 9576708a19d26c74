import { describe, expect, it } from 'vitest';
import { freePort, freeSubgraphPorts } from '../src/launch';

describe('freePort', () => {
  it('never hands out the same port twice in one process, though each probe frees it at once', async () => {
    const ports: string[] = [];
    for (let i = 0; i < 600; i++) ports.push(await freePort());
    ports.push(...Object.values(await freeSubgraphPorts()));
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) expect(Number(port)).toBeLessThan(32_768);
  });
});
