import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postToSubgraph, startTestStack, TEST_SUBGRAPH_SECRET, type TestStack } from '@bazaar/testing';

const CREATE = 'mutation { createGuestCart { guestCartToken } }';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ subgraphs: ['users', 'cart'], env: { GUEST_CARTS_PER_ADDRESS_PER_HOUR: '2' } });
});
afterAll(() => stack?.stop());

describe('createGuestCart throttling per client address', () => {
  it('refuses an address past its hourly allowance with TOO_MANY_REQUESTS and a retry hint; another address is not affected', async () => {
    expect(await stack.client.errorCodes(CREATE)).toEqual([]);
    expect(await stack.client.errorCodes(CREATE)).toEqual([]);
    const refused = await stack.client.request(CREATE);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'TOO_MANY_REQUESTS', retryAfterSeconds: expect.any(Number) });
    expect(refused.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(3000);
    // Another client, as the router vouches for it.
    const other = await postToSubgraph(stack.services.cart!.url, { query: CREATE }, { secret: TEST_SUBGRAPH_SECRET, clientAddress: '192.0.2.77' });
    expect(other.body.errors).toBeUndefined();
    expect(other.body.data?.createGuestCart).toMatchObject({ guestCartToken: expect.any(String) });
  });
});
