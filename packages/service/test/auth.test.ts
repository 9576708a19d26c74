import { describe, expect, it } from 'vitest';
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
});
