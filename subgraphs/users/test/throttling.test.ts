import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fieldResolutionCount } from '@bazaar/service';
import { postToSubgraph, startTestStack, TEST_SUBGRAPH_SECRET, type TestStack } from '@bazaar/testing';

const SIGN_UP = 'mutation ($input: SignUpInput!) { signUp(input: $input) { user { id } session { refreshToken } } }';
const LOG_IN = 'mutation ($input: LogInInput!) { logIn(input: $input) { user { id } } }';
const PASSWORD = 'correct horse battery';

let stack: TestStack;
let db: pg.Pool;

beforeAll(async () => {
  // A delay base of a minute: a paused account stays paused however slowly the test runs.
  stack = await startTestStack({ subgraphs: ['users'], env: { LOGIN_DELAY_BASE_SECONDS: '60', SIGNUPS_PER_ADDRESS_PER_HOUR: '3' } });
  db = new pg.Pool({ connectionString: stack.databases.users!.url, max: 2 });
});
afterAll(async () => {
  await db?.end();
  await stack?.stop();
});

/** Signs up through the router's users subgraph as if from `address` (the router vouches for it). */
const signUpFrom = (address: string, email: string, password = PASSWORD) =>
  postToSubgraph(stack.services.users!.url, { query: SIGN_UP, variables: { input: { email, password, displayName: 'Thrower' } } }, {
    secret: TEST_SUBGRAPH_SECRET,
    clientAddress: address,
  });

const logInFrom = (address: string, email: string, password: string) =>
  postToSubgraph(stack.services.users!.url, { query: LOG_IN, variables: { input: { email, password } } }, { secret: TEST_SUBGRAPH_SECRET, clientAddress: address });

const outcome = (response: Awaited<ReturnType<typeof postToSubgraph>>) => {
  const extensions = response.body.errors?.[0]?.extensions;
  return extensions ? { code: extensions.code, retryAfterSeconds: extensions.retryAfterSeconds } : { code: 'OK' };
};

/** Plays the clock: the pause a failure started is over (the counts stay). */
const endPauses = () => db.query("DELETE FROM rate_limits WHERE key LIKE 'login_account_pause:%'");

/** A refusal's code and hint, or OK. */
type Outcome = { code: unknown; retryAfterSeconds?: unknown };

describe('log-in throttling per account', () => {
  it('answers a few wrong passwords normally; the right one then works and starts the count again', async () => {
    const email = `victim-${randomUUID()}@example.com`;
    expect(outcome(await signUpFrom('192.0.2.1', email))).toEqual({ code: 'OK' });
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      expect(outcome(await logInFrom('198.51.100.1', email, `wrong password ${attempt}`))).toMatchObject({ code: 'UNAUTHENTICATED' });
    }
    expect(outcome(await logInFrom('198.51.100.1', email, PASSWORD))).toEqual({ code: 'OK' });
    expect(outcome(await logInFrom('198.51.100.1', email, 'wrong password again'))).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('then makes the account wait, doubling each time, and locks it out at the tenth failure, right password included', async () => {
    const email = `victim-${randomUUID()}@example.com`;
    await signUpFrom('192.0.2.2', email);
    const waits: Outcome[] = [];
    for (let attempt = 1; attempt <= 10; attempt += 1) {
      // Each from another address, so only the per-account count applies.
      expect(outcome(await logInFrom(`198.51.100.${attempt}`, email, `wrong password ${attempt}`))).toMatchObject({ code: 'UNAUTHENTICATED' });
      // The free failures are followed by more wrong ones; after that, the right password meets the wait.
      if (attempt > 3) waits.push(outcome(await logInFrom(`203.0.113.${attempt}`, email, PASSWORD)));
      await endPauses();
    }
    console.log(`the right password right after failures 4 to 10: ${JSON.stringify(waits)}`);
    const within = (answer: Outcome, seconds: number) => {
      expect(answer.code).toBe('TOO_MANY_REQUESTS');
      expect(answer.retryAfterSeconds).toBeGreaterThan(seconds * 0.8);
      expect(answer.retryAfterSeconds).toBeLessThanOrEqual(seconds);
    };
    within(waits[0]!, 60);
    within(waits[1]!, 120);
    within(waits[2]!, 240);
    within(waits[3]!, 480);
    // The tenth failure locks the account for LOGIN_LOCKOUT_SECONDS (900), whatever the pauses.
    within(waits[6]!, 900);
    await endPauses();
    within(outcome(await logInFrom('203.0.113.99', email, PASSWORD)), 900);
  });
});

describe('throttling per client address (as the router vouches for it)', () => {
  it('delays an address that fails for many accounts, not another address', async () => {
    const answers: Outcome[] = [];
    for (let attempt = 1; attempt <= 21; attempt += 1) {
      answers.push(outcome(await logInFrom('198.51.100.200', `nobody-${attempt}-${randomUUID()}@example.com`, 'wrong password!')));
    }
    expect(answers.every(({ code }) => code === 'UNAUTHENTICATED')).toBe(true);
    const email = `someone-${randomUUID()}@example.com`;
    await signUpFrom('192.0.2.3', email);
    expect(outcome(await logInFrom('198.51.100.200', email, PASSWORD))).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    expect(outcome(await logInFrom('198.51.100.201', email, PASSWORD))).toEqual({ code: 'OK' });
  });

  it('limits sign-ups per address (SIGNUPS_PER_ADDRESS_PER_HOUR, 3 here), with a retry hint', async () => {
    const from = (address: string) => signUpFrom(address, `new-${randomUUID()}@example.com`);
    for (let index = 0; index < 3; index += 1) expect(outcome(await from('192.0.2.50'))).toEqual({ code: 'OK' });
    const refused = outcome(await from('192.0.2.50'));
    expect(refused.code).toBe('TOO_MANY_REQUESTS');
    expect(refused.retryAfterSeconds).toBeGreaterThan(3000);
    expect(outcome(await from('192.0.2.51'))).toEqual({ code: 'OK' });
  });
});

describe('the password policy (OWASP ASVS)', () => {
  it.each([
    ['password1234'],
    ['1234567890ab'],
    ['qwertyuiop12'],
    ['aaaaaaaaaaaa'],
    ['short pass'],
  ])('refuses %s at sign-up with BAD_USER_INPUT, creating nothing', async (password) => {
    const before = await db.query('SELECT count(*) FROM users');
    const response = await stack.client.request(SIGN_UP, { input: { email: `p-${randomUUID()}@example.com`, password, displayName: 'Pat' } });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'password' }] });
    expect((await db.query('SELECT count(*) FROM users')).rows).toEqual(before.rows);
  });

  it('refuses a password built from the email or the name', async () => {
    const email = `rosalind.franklin-${randomUUID().slice(0, 8)}@example.com`;
    for (const password of [email, `${email.split('@')[0]}!`, 'Rosalind Franklin 1920']) {
      const response = await stack.client.request(SIGN_UP, { input: { email, password, displayName: 'Rosalind Franklin' } });
      expect(response.errors?.[0]?.extensions, password).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'password' }] });
    }
  });

  it('refuses an over-long password at log-in before hashing it (990,000 characters: too large; 129: too long)', async () => {
    const before = fieldResolutionCount();
    const huge = await stack.client.request(LOG_IN, { input: { email: 'a@example.com', password: 'x'.repeat(990_000) } });
    expect(huge.errors?.[0]?.extensions?.code).toBe('PAYLOAD_TOO_LARGE');
    expect(fieldResolutionCount()).toBe(before);
    const long = await stack.client.request(LOG_IN, { input: { email: 'a@example.com', password: 'x'.repeat(129) } });
    expect(long.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'password' }] });
  });
});
