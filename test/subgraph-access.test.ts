import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUBGRAPHS } from '@bazaar/router';
import { postToSubgraph, startTestStack, TEST_SUBGRAPH_SECRET, type TestStack } from '@bazaar/testing';

/** Production mode: only the router may call a subgraph, and answers give nothing away. */
describe('in production', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ env: { NODE_ENV: 'production' } });
  });
  afterAll(() => stack?.stop());

  const service = { query: '{ _service { sdl } }' };
  const entities = {
    query: 'query ($representations: [_Any!]!) { _entities(representations: $representations) { __typename } }',
    variables: { representations: [] },
  };
  const refused = { status: 401, code: 'UNAUTHENTICATED', message: 'Only the router may call this service.' };
  const outcome = (response: Awaited<ReturnType<typeof postToSubgraph>>) => ({
    status: response.status,
    code: response.body.errors?.[0]?.extensions?.code,
    message: response.body.errors?.[0]?.message,
  });

  describe.each(SUBGRAPHS.map(({ name }) => [name]))('the %s subgraph', (name) => {
    const url = () => stack.services[name]!.url;

    it('refuses unsigned calls, _service and _entities included', async () => {
      expect(outcome(await postToSubgraph(url(), service))).toEqual(refused);
      expect(outcome(await postToSubgraph(url(), entities))).toEqual(refused);
    });

    it('refuses a stale signature, a signature with another secret, and a signed body that was altered', async () => {
      const stale = Date.now() - 5 * 60_000;
      expect(outcome(await postToSubgraph(url(), service, { secret: TEST_SUBGRAPH_SECRET, timestamp: stale }))).toEqual(refused);
      expect(outcome(await postToSubgraph(url(), service, { secret: 'another-secret-of-at-least-32-characters!' }))).toEqual(refused);
      const signedForOtherAddress = await postToSubgraph(url(), service, {
        secret: TEST_SUBGRAPH_SECRET,
        headers: { 'x-bazaar-client-address': '198.51.100.1' },
      });
      expect(outcome(signedForOtherAddress)).toEqual(refused);
    });

    it('answers the router (a signed call)', async () => {
      const answer = await postToSubgraph(url(), service, { secret: TEST_SUBGRAPH_SECRET });
      expect(answer.status).toBe(200);
      expect(String((answer.body.data?._service as { sdl?: string } | undefined)?.sdl)).toContain('type Query');
    });

    it('has introspection off and suggests no field names', async () => {
      const introspection = await postToSubgraph(url(), { query: '{ __schema { types { name } } }' }, { secret: TEST_SUBGRAPH_SECRET });
      expect(introspection.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      const typo = await postToSubgraph(url(), { query: '{ _servic { sdl } }' }, { secret: TEST_SUBGRAPH_SECRET });
      expect(typo.body.errors?.[0]?.message).toMatch(/Cannot query field/);
      expect(typo.text).not.toMatch(/Did you mean/);
    });
  });

  it('the router has introspection off, suggests nothing and names no internal service', async () => {
    expect(await stack.client.errorCodes('{ __schema { types { name } } }')).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    const typo = await stack.client.request('{ bokks(first: 1) { totalCount } }');
    expect(typo.errors?.[0]?.message).toMatch(/Cannot query field "bokks"/);
    expect(JSON.stringify(typo)).not.toMatch(/Did you mean/);
    const badEnum = await stack.client.request('{ books(first: 1, sort: RELEVANC) { totalCount } }');
    expect(JSON.stringify(badEnum)).not.toMatch(/Did you mean/);
    // A subgraph's error: the gateway would add `serviceName: "users"`.
    const fromSubgraph = await stack.client.request('mutation { becomeSeller { user { id } } }');
    expect(fromSubgraph.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(fromSubgraph.errors?.[0]?.extensions).not.toHaveProperty('serviceName');
  });
});
