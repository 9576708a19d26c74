import {
  createLocalJWKSet,
  createRemoteJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  SignJWT,
  errors as joseErrors,
  type JSONWebKeySet,
  type JWK,
  type JWTVerifyGetKey,
} from 'jose';
import { LRUCache } from 'lru-cache';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { unauthenticated, forbidden } from './errors';

/** Access tokens are signed with Ed25519; the algorithm is pinned on both sides. */
export const ACCESS_TOKEN_ALGORITHM = 'EdDSA';

export const roles = ['BUYER', 'SELLER', 'ADMIN'] as const;
export type Role = (typeof roles)[number];

export interface Viewer {
  id: string;
  roles: Role[];
}

/** What a request knows about its caller. An invalid token is kept apart from no token at all. */
export type AuthState =
  | { kind: 'anonymous' }
  | { kind: 'authenticated'; viewer: Viewer }
  | { kind: 'invalid'; reason: string };

export const anonymous: AuthState = { kind: 'anonymous' };

export interface TokenSettings {
  issuer: string;
  audience: string;
}

const accessTokenClaims = z.object({
  sub: z.string().min(1),
  roles: z.array(z.enum(roles)),
});

export interface TokenVerifier {
  authenticate(authorizationHeader: string | undefined | null): Promise<AuthState>;
}

/**
 * How long a verified token is taken on trust without checking its signature again (never past
 * its `exp`). A buyer's every request carries the same token, and an Ed25519 verification was
 * 5–8 % of a busy subgraph's CPU; a key withdrawn from the key set stops working within this.
 */
const VERIFIED_TOKEN_TRUST_MS = 60_000;
const VERIFIED_TOKENS_KEPT = 10_000;

interface VerifiedToken {
  viewer: Viewer;
  expiresAtMs: number;
}

export function createTokenVerifier(
  settings: TokenSettings & { jwksUrl?: string | undefined; jwks?: JSONWebKeySet | undefined },
): TokenVerifier {
  let keys: JWTVerifyGetKey;
  if (settings.jwks) keys = createLocalJWKSet(settings.jwks);
  else if (settings.jwksUrl) keys = createRemoteJWKSet(new URL(settings.jwksUrl), { cooldownDuration: 5_000 });
  else throw new Error('Token verification needs AUTH_JWKS_URL or AUTH_JWKS');
  // Only tokens that passed are kept: a flood of bad tokens costs verifications, not memory.
  const verified = new LRUCache<string, VerifiedToken>({ max: VERIFIED_TOKENS_KEPT, ttl: VERIFIED_TOKEN_TRUST_MS });

  async function verify(token: string): Promise<AuthState> {
    try {
      const { payload } = await jwtVerify(token, keys, {
        algorithms: [ACCESS_TOKEN_ALGORITHM],
        issuer: settings.issuer,
        audience: settings.audience,
        requiredClaims: ['exp', 'sub'],
      });
      const claims = accessTokenClaims.safeParse(payload);
      if (!claims.success) return { kind: 'invalid', reason: 'The access token is malformed.' };
      const viewer: Viewer = { id: claims.data.sub, roles: claims.data.roles };
      verified.set(token, { viewer, expiresAtMs: payload.exp! * 1000 });
      return { kind: 'authenticated', viewer };
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) return EXPIRED;
      if (error instanceof joseErrors.JOSEError) return { kind: 'invalid', reason: 'The access token is invalid.' };
      throw error;
    }
  }

  return {
    async authenticate(header) {
      if (!header) return anonymous;
      const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
      if (!match?.[1]) return { kind: 'invalid', reason: 'The Authorization header must be "Bearer <token>".' };
      const known = verified.get(match[1]);
      if (!known) return verify(match[1]);
      // jose's check, without its clock tolerance (none is configured): expired at exp itself.
      if (Date.now() >= known.expiresAtMs) {
        verified.delete(match[1]);
        return EXPIRED;
      }
      return { kind: 'authenticated', viewer: known.viewer };
    },
  };
}

const EXPIRED: AuthState = { kind: 'invalid', reason: 'The access token has expired.' };

/** The signed-in viewer, or UNAUTHENTICATED (saying why when a token was sent but refused). */
export function requireViewer(auth: AuthState): Viewer {
  if (auth.kind === 'authenticated') return auth.viewer;
  throw unauthenticated(auth.kind === 'invalid' ? auth.reason : undefined);
}

export function viewerOrNull(auth: AuthState): Viewer | null {
  return auth.kind === 'authenticated' ? auth.viewer : null;
}

export const hasRole = (viewer: Viewer | null, role: Role) => viewer?.roles.includes(role) ?? false;

export function requireRole(auth: AuthState, role: Role): Viewer {
  const viewer = requireViewer(auth);
  if (!hasRole(viewer, role)) throw forbidden(`This requires the ${role} role.`);
  return viewer;
}

/** A private signing key as configuration carries it: a JWK with `kid` and `alg`. */
export const signingKeySchema = z
  .object({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), d: z.string(), x: z.string(), kid: z.string().min(1) })
  .passthrough();

export async function generateSigningKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair(ACCESS_TOKEN_ALGORITHM, { crv: 'Ed25519', extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: randomUUID(), alg: ACCESS_TOKEN_ALGORITHM, use: 'sig' };
}

/** The public halves of `keys` (the signing key first, then previous ones) as a JSON Web Key Set. */
export function publicJwks(signingKey: JWK, previousKeys: readonly JWK[] = []): JSONWebKeySet {
  return {
    keys: [signingKey, ...previousKeys].map((key) => {
      const { d: _private, ...publicKey } = key;
      return { ...publicKey, alg: ACCESS_TOKEN_ALGORITHM, use: 'sig' };
    }),
  };
}

export interface TokenIssuer {
  readonly accessTokenTtlSeconds: number;
  issueAccessToken(viewer: Viewer, options?: { expiresAt?: Date }): Promise<string>;
  jwks(): JSONWebKeySet;
}

/**
 * Signs with `signingKey`; publishes it and `previousKeys` (the keys tokens still in circulation
 * were signed with, during a rotation: docs/auth.md).
 */
export async function createTokenIssuer(
  settings: TokenSettings & { signingKey: JWK; previousKeys?: readonly JWK[]; accessTokenTtlSeconds: number },
): Promise<TokenIssuer> {
  const key = signingKeySchema.parse(settings.signingKey);
  const privateKey = await importJWK({ ...key, alg: ACCESS_TOKEN_ALGORITHM }, ACCESS_TOKEN_ALGORITHM);
  return {
    accessTokenTtlSeconds: settings.accessTokenTtlSeconds,
    async issueAccessToken(viewer, options) {
      const expiresAt = options?.expiresAt ?? new Date(Date.now() + settings.accessTokenTtlSeconds * 1000);
      return new SignJWT({ roles: viewer.roles })
        .setProtectedHeader({ alg: ACCESS_TOKEN_ALGORITHM, kid: key.kid, typ: 'JWT' })
        .setSubject(viewer.id)
        .setIssuer(settings.issuer)
        .setAudience(settings.audience)
        .setIssuedAt()
        .setJti(randomUUID())
        .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
        .sign(privateKey);
    },
    jwks: () => publicJwks(settings.signingKey, settings.previousKeys),
  };
}

const jwksSchema = z.object({ keys: z.array(z.looseObject({ kty: z.string() })) });

/**
 * The verifier every subgraph but users builds from its settings: keys from AUTH_JWKS (inline) or
 * AUTH_JWKS_URL. Inline keys that are not a JSON Web Key Set stop the service at start-up.
 */
export function tokenVerifierFromConfig(config: {
  AUTH_ISSUER: string;
  AUTH_AUDIENCE: string;
  AUTH_JWKS_URL?: string | undefined;
  AUTH_JWKS?: string | undefined;
}): TokenVerifier {
  let jwks: JSONWebKeySet | undefined;
  if (config.AUTH_JWKS) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(config.AUTH_JWKS);
    } catch {
      throw new Error('AUTH_JWKS is not valid JSON');
    }
    jwks = jwksSchema.parse(parsed) as JSONWebKeySet;
  }
  return createTokenVerifier({ issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE, jwksUrl: config.AUTH_JWKS_URL, jwks });
}
