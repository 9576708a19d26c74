import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '@bazaar/testing';

/**
 * Requests through the router in bursts separated by idle gaps longer than the subgraphs' idle
 * keep-alive timeout (Node's default, 5 s): no request may fail because a pooled connection was
 * closed by the subgraph meanwhile (docs/architecture.md, "Router to subgraph connections").
 */
const BURSTS = 4;
const PER_BURST = 100;
const IDLE_GAP_MS = 6_000;

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ subgraphs: ['users', 'books'] });
});
afterAll(async () => {
  await stack?.stop();
});

describe('router to subgraph connections', () => {
  it(`loses no request across idle gaps longer than the subgraphs' keep-alive timeout (${BURSTS * PER_BURST} requests)`, async () => {
    let failures = 0;
    const codes: string[] = [];
    for (let burst = 0; burst < BURSTS; burst++) {
      if (burst > 0) await new Promise((resolve) => setTimeout(resolve, IDLE_GAP_MS)); // the idle gap is the workload here
      const results = await Promise.all(
        Array.from({ length: PER_BURST }, () => stack.client.request<{ books: { totalCount: number } }>(`{ books(first: 1) { totalCount } }`)),
      );
      for (const result of results) {
        if (result.errors?.length || !result.data) {
          failures++;
          codes.push(String(result.errors?.[0]?.extensions?.code));
        }
      }
    }
    console.log(`${BURSTS * PER_BURST} requests in ${BURSTS} bursts, idle gaps ${IDLE_GAP_MS / 1000} s (> subgraph keep-alive 5 s): failures = ${failures} ${JSON.stringify(codes)}`);
    expect(failures).toBe(0);
  }, 120_000);
});
