import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '@bazaar/testing';

const SIGN_UP = /* GraphQL */ `
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) {
      user { id email displayName roles createdAt }
      session { accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt }
    }
  }
`;
const LOG_IN = /* GraphQL */ `
  mutation LogIn($input: LogInInput!) {
    logIn(input: $input) { user { id email } session { accessToken refreshToken } }
  }
`;
const REFRESH = /* GraphQL */ `
  mutation Refresh($token: String!) {
    refreshSession(input: { refreshToken: $token }) { user { id roles } session { accessToken refreshToken } }
  }
`;
const ME = /* GraphQL */ `{ me { id email displayName roles } }`;

interface SignedIn {
  user: { id: string; email: string | null; roles: string[] };
  session: { accessToken: string; refreshToken: string };
}

let stack: TestStack;
let db: pg.Pool;

beforeAll(async () => {
  stack = await startTestStack({ subgraphs: ['users'] });
  db = new pg.Pool({ connectionString: stack.databases.users!.url });
});
afterAll(async () => {
  await db?.end();
  await stack?.stop();
});

let counter = 0;
const uniqueEmail = () => `reader${++counter}-${Date.now()}@example.com`;

async function signUp(email = uniqueEmail(), password = 'correct horse battery'): Promise<SignedIn> {
  const data = await stack.client.data<{ signUp: SignedIn }>(SIGN_UP, { input: { email, password, displayName: 'Reader' } });
  return data.signUp;
}

async function userCount(): Promise<number> {
  const { rows } = await db.query<{ count: string }>('SELECT count(*) FROM users');
  return Number(rows[0]!.count);
}

describe('sign up and log in through the router', () => {
  it('signs up, logs in and reads `me`', async () => {
    const email = uniqueEmail();
    const signedUp = await signUp(`  ${email.toUpperCase()} `);
    expect(signedUp.user).toMatchObject({ email, roles: ['BUYER'] });

    const { logIn } = await stack.client.data<{ logIn: SignedIn }>(LOG_IN, {
      input: { email, password: 'correct horse battery' },
    });
    expect(logIn.user.id).toBe(signedUp.user.id);

    const { me } = await stack.client.withToken(logIn.session.accessToken).data<{ me: { id: string; email: string } }>(ME);
    expect(me).toEqual({ id: signedUp.user.id, email, displayName: 'Reader', roles: ['BUYER'] });
  });

  it('answers `me` with null for an anonymous caller', async () => {
    expect(await stack.client.data(ME)).toEqual({ me: null });
  });

  it('rejects a second account with the same email, whatever its case, with CONFLICT', async () => {
    const email = uniqueEmail();
    await signUp(email);
    const before = await userCount();
    const result = await stack.client.request(SIGN_UP, {
      input: { email: email.toUpperCase(), password: 'another password', displayName: 'Copy' },
    });
    expect(result.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(await userCount()).toBe(before);
  });

  it('gives the same UNAUTHENTICATED error for a wrong password and an unknown email', async () => {
    const email = uniqueEmail();
    await signUp(email);
    const wrongPassword = await stack.client.request(LOG_IN, { input: { email, password: 'not the password' } });
    const unknownEmail = await stack.client.request(LOG_IN, { input: { email: uniqueEmail(), password: 'not the password' } });
    expect(wrongPassword.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(unknownEmail.errors?.[0]).toEqual(wrongPassword.errors?.[0]);
  });

  it.each([
    ['an invalid email', { email: 'not-an-email', password: 'long enough password', displayName: 'X' }, 'email'],
    ['a short password', { email: 'short@example.com', password: 'short', displayName: 'X' }, 'password'],
    ['an empty display name', { email: 'empty@example.com', password: 'long enough password', displayName: '   ' }, 'displayName'],
  ])('rejects %s with BAD_USER_INPUT and writes nothing', async (_case, input, field) => {
    const before = await userCount();
    const result = await stack.client.request(SIGN_UP, { input });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [expect.objectContaining({ field })] });
    expect(await userCount()).toBe(before);
  });
});

describe('access tokens', () => {
  it('refuses an expired token with UNAUTHENTICATED', async () => {
    const { user } = await signUp();
    const expired = await stack.tokens.issueAccessToken({ id: user.id, roles: ['BUYER'] }, { expiresAt: new Date(Date.now() - 60_000) });
    const result = await stack.client.withToken(expired).request(ME);
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(result.errors?.[0]?.message).toMatch(/expired/);
  });

  it('refuses a tampered token with UNAUTHENTICATED', async () => {
    const { session, user } = await signUp();
    const [header, payload, signature] = session.accessToken.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, roles: ['BUYER', 'ADMIN'] })).toString('base64url');
    const result = await stack.client.withToken(`${header}.${forged}.${signature}`).request(ME);
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(result.data?.me ?? null).toBeNull();
    expect(user.roles).toEqual(['BUYER']);
  });

  it('refuses a token signed with another key', async () => {
    const { createTokenIssuer, generateSigningKey } = await import('@bazaar/service');
    const stranger = await createTokenIssuer({
      issuer: 'book-bazaar-users',
      audience: 'book-bazaar',
      signingKey: await generateSigningKey(),
      accessTokenTtlSeconds: 60,
    });
    const { user } = await signUp();
    const token = await stranger.issueAccessToken({ id: user.id, roles: ['ADMIN'] });
    expect(await stack.client.withToken(token).errorCodes(ME)).toEqual(['UNAUTHENTICATED']);
  });

  it('refuses a malformed Authorization header', async () => {
    const result = await stack.client.request(ME, undefined, { authorization: 'Basic dXNlcjpwYXNz' });
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('refresh tokens', () => {
  it('rotates on every use', async () => {
    const { session, user } = await signUp();
    const { refreshSession } = await stack.client.data<{ refreshSession: SignedIn }>(REFRESH, { token: session.refreshToken });
    expect(refreshSession.user.id).toBe(user.id);
    expect(refreshSession.session.refreshToken).not.toBe(session.refreshToken);
    const again = await stack.client.data<{ refreshSession: SignedIn }>(REFRESH, { token: refreshSession.session.refreshToken });
    expect(again.refreshSession.user.id).toBe(user.id);
  });

  it('revokes the whole family when a rotated token is reused after the grace window', async () => {
    const { session, user } = await signUp();
    const first = await stack.client.data<{ refreshSession: SignedIn }>(REFRESH, { token: session.refreshToken });
    // Plays the clock: the rotation happened an hour ago (REFRESH_GRACE_SECONDS is 30).
    await db.query(`UPDATE refresh_tokens SET "rotatedAt" = now() - interval '1 hour' WHERE "userId" = $1 AND "rotatedAt" IS NOT NULL`, [user.id]);
    expect(await stack.client.errorCodes(REFRESH, { token: session.refreshToken })).toEqual(['UNAUTHENTICATED']);
    // The legitimate holder's newer token died with the family.
    expect(await stack.client.errorCodes(REFRESH, { token: first.refreshSession.session.refreshToken })).toEqual(['UNAUTHENTICATED']);
  });

  it('gives two concurrent uses of one token (within the grace window) the same new refresh token, not a logout', async () => {
    const { session } = await signUp();
    const results = await Promise.all([0, 1].map(() => stack.client.data<{ refreshSession: SignedIn }>(REFRESH, { token: session.refreshToken })));
    const [one, other] = results.map(({ refreshSession }) => refreshSession.session.refreshToken);
    expect(one).toBe(other);
    expect(one).not.toBe(session.refreshToken);
    expect(await stack.client.withToken(results[1]!.refreshSession.session.accessToken).data(ME)).toMatchObject({ me: { id: results[0]!.refreshSession.user.id } });
    // The shared successor goes on working, once.
    const next = await stack.client.data<{ refreshSession: SignedIn }>(REFRESH, { token: one });
    expect(next.refreshSession.session.refreshToken).not.toBe(one);
  });

  it('still revokes the family when a rotated token comes back after its successor was used, grace window or not', async () => {
    const { session } = await signUp();
    const first = await stack.client.data<{ refreshSession: SignedIn }>(REFRESH, { token: session.refreshToken });
    const second = await stack.client.data<{ refreshSession: SignedIn }>(REFRESH, { token: first.refreshSession.session.refreshToken });
    expect(await stack.client.errorCodes(REFRESH, { token: session.refreshToken })).toEqual(['UNAUTHENTICATED']);
    expect(await stack.client.errorCodes(REFRESH, { token: second.refreshSession.session.refreshToken })).toEqual(['UNAUTHENTICATED']);
  });

  it('ends the session on logOut', async () => {
    const { session } = await signUp();
    const logOut = `mutation($token: String!) { logOut(input: { refreshToken: $token }) { loggedOut } }`;
    expect(await stack.client.data(logOut, { token: session.refreshToken })).toEqual({ logOut: { loggedOut: true } });
    expect(await stack.client.errorCodes(REFRESH, { token: session.refreshToken })).toEqual(['UNAUTHENTICATED']);
  });
});

describe('profile and roles', () => {
  const SET_ROLES = `mutation($input: SetUserRolesInput!) { setUserRoles(input: $input) { user { id roles } } }`;

  async function signUpAdmin(): Promise<SignedIn> {
    const admin = await signUp();
    await db.query(`UPDATE users SET roles = ARRAY['BUYER','ADMIN']::"Role"[] WHERE id = $1`, [admin.user.id]);
    const { refreshSession } = await stack.client.data<{ refreshSession: SignedIn }>(REFRESH, { token: admin.session.refreshToken });
    expect(refreshSession.user.roles).toEqual(['BUYER', 'ADMIN']);
    return refreshSession;
  }

  it('forbids a BUYER from setting roles', async () => {
    const buyer = await signUp();
    const target = await signUp();
    const result = await stack.client.withToken(buyer.session.accessToken).request(SET_ROLES, {
      input: { userId: target.user.id, roles: ['ADMIN'] },
    });
    expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const { rows } = await db.query<{ roles: string }>('SELECT roles::text FROM users WHERE id = $1', [target.user.id]);
    expect(rows[0]!.roles).toBe('{BUYER}');
  });

  it('lets an admin set roles, always keeping BUYER', async () => {
    const admin = await signUpAdmin();
    const target = await signUp();
    const data = await stack.client.withToken(admin.session.accessToken).data(SET_ROLES, {
      input: { userId: target.user.id, roles: ['SELLER'] },
    });
    expect(data).toEqual({ setUserRoles: { user: { id: target.user.id, roles: ['BUYER', 'SELLER'] } } });
    expect(
      await stack.client.withToken(admin.session.accessToken).errorCodes(SET_ROLES, {
        input: { userId: '00000000-0000-7000-8000-000000000000', roles: ['SELLER'] },
      }),
    ).toEqual(['NOT_FOUND']);
  });

  it('shows an email only to its owner and to admins', async () => {
    const owner = await signUp();
    const stranger = await signUp();
    const admin = await signUpAdmin();
    const query = `query($id: ID!) { user(id: $id) { id email } }`;
    const seenBy = async (token?: string) =>
      ((await stack.client.withToken(token).data<{ user: { email: string | null } }>(query, { id: owner.user.id })).user.email);
    expect(await seenBy(owner.session.accessToken)).toBe(owner.user.email);
    expect(await seenBy(admin.session.accessToken)).toBe(owner.user.email);
    expect(await seenBy(stranger.session.accessToken)).toBeNull();
    expect(await seenBy()).toBeNull();
  });

  it('updates the profile and becomes a seller; a refreshed token carries the new role', async () => {
    const me = await signUp();
    const client = stack.client.withToken(me.session.accessToken);
    const updated = await client.data(`mutation { updateProfile(input: { displayName: "  Ishmael " }) { user { displayName } } }`);
    expect(updated).toEqual({ updateProfile: { user: { displayName: 'Ishmael' } } });
    expect(await client.errorCodes(`mutation { updateProfile(input: { displayName: "" }) { user { id } } }`)).toEqual(['BAD_USER_INPUT']);

    const seller = await client.data(`mutation { becomeSeller { user { roles } } }`);
    expect(seller).toEqual({ becomeSeller: { user: { roles: ['BUYER', 'SELLER'] } } });
    const { refreshSession } = await stack.client.data<{ refreshSession: SignedIn }>(REFRESH, { token: me.session.refreshToken });
    const claims = JSON.parse(Buffer.from(refreshSession.session.accessToken.split('.')[1]!, 'base64url').toString()) as { roles: string[] };
    expect(claims.roles).toEqual(['BUYER', 'SELLER']);
  });

  it('requires a signed-in user to change a profile', async () => {
    expect(await stack.client.errorCodes(`mutation { becomeSeller { user { id } } }`)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('the service surface', () => {
  it('publishes its public keys as JWKS and answers health and readiness', async () => {
    const base = new URL(stack.services.users!.url);
    const jwks = (await (await fetch(new URL('/.well-known/jwks.json', base))).json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', kid: stack.signingKey.kid });
    expect(jwks.keys[0]).not.toHaveProperty('d');
    expect((await fetch(new URL('/health', base))).status).toBe(200);
    expect((await fetch(new URL('/ready', base))).status).toBe(200);
  });

  it('blocks cross-site simple requests (CSRF prevention) at the router', async () => {
    const response = await fetch(`${stack.routerUrl}?query=${encodeURIComponent('{ me { id } }')}`);
    expect(response.status).toBe(400);
  });

  it('answers null for an id that cannot exist', async () => {
    const result = await stack.client.request(`query($id: ID!) { user(id: $id) { id } }`, { id: 'not-a-uuid' });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ user: null });
  });
});
