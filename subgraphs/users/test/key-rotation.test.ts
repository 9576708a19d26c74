import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier, generateSigningKey, publicJwks, type RunningService } from '@bazaar/service';
import { postToSubgraph, startTestStack, TEST_ISSUER, TEST_SUBGRAPH_SECRET, type TestStack } from '@bazaar/testing';
import { loadUsersConfig, startUsersService } from '../src/index';

const ME = '{ me { id } }';
const LOG_IN = 'mutation ($input: LogInInput!) { logIn(input: $input) { session { accessToken } } }';
const SIGN_UP = 'mutation ($input: SignUpInput!) { signUp(input: $input) { user { id } session { accessToken } } }';

/**
 * The rotation procedure of docs/auth.md, step by step, with real users services on one database:
 * old key A → (B signs, A still published) → (B only, once A's tokens have expired).
 */
describe('signing key rotation', () => {
  let stack: TestStack;
  const started: RunningService[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ subgraphs: ['users'] });
  });
  afterAll(async () => {
    for (const service of started) await service.stop();
    await stack?.stop();
  });

  const startUsers = async (signingKey: object, previousKeys: object[]) => {
    const service = await startUsersService(
      loadUsersConfig({
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        USERS_PORT: '0',
        USERS_DATABASE_URL: stack.databases.users!.url,
        EVENTS_DATABASE_URL: stack.eventsDatabase.url,
        SUBGRAPH_SIGNING_SECRET: TEST_SUBGRAPH_SECRET,
        AUTH_SIGNING_KEY: JSON.stringify(signingKey),
        AUTH_PREVIOUS_SIGNING_KEYS: JSON.stringify(previousKeys),
      }),
    );
    started.push(service);
    return service;
  };
  const call = (service: RunningService, query: string, variables: Record<string, unknown> = {}, token?: string) =>
    postToSubgraph(service.url, { query, variables }, { secret: TEST_SUBGRAPH_SECRET, headers: token ? { authorization: `Bearer ${token}` } : {} });
  const jwksOf = async (service: RunningService) =>
    (await (await fetch(new URL('/.well-known/jwks.json', service.url))).json()) as { keys: Record<string, unknown>[] };

  it('keeps old tokens working while the new key signs, and drops them once the old key is retired', async () => {
    const keyA = stack.signingKey;
    const email = `rotating-${Date.now()}@example.com`;
    const password = 'correct horse battery';
    const { signUp } = await stack.client.data<{ signUp: { user: { id: string }; session: { accessToken: string } } }>(SIGN_UP, {
      input: { email, password, displayName: 'Rota' },
    });
    const tokenA = signUp.session.accessToken;
    expect(decodeProtectedHeader(tokenA).kid).toBe(keyA.kid);

    // Step 1: the new key B signs; A is still published.
    const keyB = await generateSigningKey();
    const rotating = await startUsers(keyB, [publicJwks(keyA).keys[0]!]);
    const published = await jwksOf(rotating);
    expect(published.keys.map((key) => key.kid)).toEqual([keyB.kid, keyA.kid]);
    expect(published.keys.some((key) => 'd' in key)).toBe(false);
    expect((await call(rotating, ME, {}, tokenA)).body.data).toEqual({ me: { id: signUp.user.id } });
    const logIn = await call(rotating, LOG_IN, { input: { email, password } });
    const tokenB = (logIn.body.data?.logIn as { session: { accessToken: string } }).session.accessToken;
    expect(decodeProtectedHeader(tokenB).kid).toBe(keyB.kid);
    // Every other subgraph verifies with the published set: both tokens pass.
    const elsewhere = createTokenVerifier({ ...TEST_ISSUER, jwksUrl: new URL('/.well-known/jwks.json', rotating.url).toString() });
    expect((await elsewhere.authenticate(`Bearer ${tokenA}`)).kind).toBe('authenticated');
    expect((await elsewhere.authenticate(`Bearer ${tokenB}`)).kind).toBe('authenticated');

    // Step 2, after the access-token lifetime: A is retired; its tokens no longer pass.
    const rotated = await startUsers(keyB, []);
    expect((await jwksOf(rotated)).keys.map((key) => key.kid)).toEqual([keyB.kid]);
    expect((await call(rotated, ME, {}, tokenA)).body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await call(rotated, ME, {}, tokenB)).body.data).toEqual({ me: { id: signUp.user.id } });
  });

  it('refuses previous keys that are not a JSON array of Ed25519 JWKs at start-up', () => {
    const env = { USERS_DATABASE_URL: 'postgres://x@localhost/x', AUTH_SIGNING_KEY: '{}' };
    expect(() => loadUsersConfig({ ...env, AUTH_PREVIOUS_SIGNING_KEYS: 'not json' })).toThrow(/AUTH_PREVIOUS_SIGNING_KEYS/);
    expect(() => loadUsersConfig({ ...env, AUTH_PREVIOUS_SIGNING_KEYS: '[{"kty":"RSA"}]' })).toThrow(/AUTH_PREVIOUS_SIGNING_KEYS/);
  });
});
