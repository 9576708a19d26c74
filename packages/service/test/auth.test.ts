import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTokenIssuer, generateSigningKey, publicJwks, tokenVerifierFromConfig } from '../src/auth';

describe('tokenVerifierFromConfig', () => {
  const settings = { AUTH_ISSUER: 'book-bazaar-users', AUTH_AUDIENCE: 'book-bazaar' };

  it('verifies tokens against inline keys', async () => {
    const signingKey = await generateSigningKey();
    const issuer = await createTokenIssuer({ issuer: settings.AUTH_ISSUER, audience: settings.AUTH_AUDIENCE, signingKey, accessTokenTtlSeconds: 60 });
    const verifier = tokenVerifierFromConfig({ ...settings, AUTH_JWKS: JSON.stringify(publicJwks(signingKey)) });
    const token = await issuer.issueAccessToken({ id: 'u1', roles: ['BUYER', 'SELLER'] });
    expect(await verifier.authenticate(`Bearer ${token}`)).toEqual({ kind: 'authenticated', viewer: { id: 'u1', roles: ['BUYER', 'SELLER'] } });
    expect(await verifier.authenticate(undefined)).toEqual({ kind: 'anonymous' });
  });

  it('refuses inline keys that are not a JSON Web Key Set, and a configuration without keys', () => {
    expect(() => tokenVerifierFromConfig({ ...settings, AUTH_JWKS: '{not json' })).toThrow('AUTH_JWKS is not valid JSON');
    expect(() => tokenVerifierFromConfig({ ...settings, AUTH_JWKS: '{"keys": "nope"}' })).toThrow();
    expect(() => tokenVerifierFromConfig(settings)).toThrow(/AUTH_JWKS_URL or AUTH_JWKS/);
  });

  describe('a token verified before', () => {
    afterEach(() => void vi.useRealTimers());

    it('is taken on trust until its expiry, and not a moment past it', async () => {
      vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-12-02T12:00:00Z') });
      const signingKey = await generateSigningKey();
      const issuer = await createTokenIssuer({ issuer: settings.AUTH_ISSUER, audience: settings.AUTH_AUDIENCE, signingKey, accessTokenTtlSeconds: 30 });
      const verifier = tokenVerifierFromConfig({ ...settings, AUTH_JWKS: JSON.stringify(publicJwks(signingKey)) });
      const token = await issuer.issueAccessToken({ id: 'u1', roles: ['BUYER'] });
      const authenticated = { kind: 'authenticated', viewer: { id: 'u1', roles: ['BUYER'] } };
      expect(await verifier.authenticate(`Bearer ${token}`)).toEqual(authenticated);
      vi.setSystemTime(new Date('2026-12-02T12:00:29Z'));
      expect(await verifier.authenticate(`Bearer ${token}`)).toEqual(authenticated);
      vi.setSystemTime(new Date('2026-12-02T12:00:30Z'));
      expect(await verifier.authenticate(`Bearer ${token}`)).toEqual({ kind: 'invalid', reason: 'The access token has expired.' });
      expect(await verifier.authenticate(`Bearer ${token}`)).toEqual({ kind: 'invalid', reason: 'The access token has expired.' });
    });

    it('does not vouch for a token that differs from it in any character', async () => {
      const signingKey = await generateSigningKey();
      const issuer = await createTokenIssuer({ issuer: settings.AUTH_ISSUER, audience: settings.AUTH_AUDIENCE, signingKey, accessTokenTtlSeconds: 60 });
      const verifier = tokenVerifierFromConfig({ ...settings, AUTH_JWKS: JSON.stringify(publicJwks(signingKey)) });
      const token = await issuer.issueAccessToken({ id: 'u1', roles: ['BUYER'] });
      expect((await verifier.authenticate(`Bearer ${token}`)).kind).toBe('authenticated');
      const [header, payload, signature] = token.split('.') as [string, string, string];
      // The same claims, but the buyer now claims to be an admin; and the same token, its signature changed.
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
      const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, roles: ['ADMIN'] })).toString('base64url')}.${signature}`;
      const resigned = `${header}.${payload}.${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BA' : 'AA'}`;
      for (const bad of [forged, resigned]) expect(await verifier.authenticate(`Bearer ${bad}`)).toEqual({ kind: 'invalid', reason: 'The access token is invalid.' });
    });
  });
});
