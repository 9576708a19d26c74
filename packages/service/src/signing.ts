import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * Only the router may call a subgraph: it signs each request with a secret it shares with the
 * subgraphs (HMAC-SHA256 over the method, a timestamp, the client address it vouches for, and the
 * body), and a subgraph refuses what is unsigned, altered or older than `SIGNATURE_MAX_AGE_MS`.
 * The body is signed in canonical JSON (sorted keys), so the check does not depend on how either
 * side's JSON library orders keys. docs/security.md describes it.
 */
export const SIGNATURE_HEADER = 'x-bazaar-router-signature';
/** The caller's address as the router saw it; trusted by a subgraph only on a valid signature. */
export const CLIENT_ADDRESS_HEADER = 'x-bazaar-client-address';
export const SIGNATURE_MAX_AGE_MS = 60_000;

export const signingConfig = z.object({
  /** Shared by the router and every subgraph; required in production. At least 32 characters. */
  SUBGRAPH_SIGNING_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
});
export type SigningConfig = z.infer<typeof signingConfig>;

/** JSON with object keys sorted and undefined values dropped, as JSON.stringify would drop them. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
}

export interface SignedParts {
  method: string;
  /** The parsed JSON body (or, for GET, the query string). */
  body: unknown;
  clientAddress: string;
}

const mac = (secret: string, timestamp: number, parts: SignedParts) =>
  createHmac('sha256', secret)
    .update(`${parts.method.toUpperCase()}\n${timestamp}\n${parts.clientAddress}\n${canonicalJson(parts.body)}`)
    .digest('hex');

/** The signature header's value: `t=<unix ms>,v1=<hex HMAC>`. */
export const signRequest = (secret: string, parts: SignedParts, now = Date.now()) => `t=${now},v1=${mac(secret, now, parts)}`;

export type SignatureCheck = 'valid' | 'missing' | 'malformed' | 'stale' | 'mismatch';

export function verifySignature(secret: string, header: string | undefined, parts: SignedParts, now = Date.now()): SignatureCheck {
  if (!header) return 'missing';
  const match = /^t=(\d{1,16}),v1=([0-9a-f]{64})$/.exec(header);
  if (!match) return 'malformed';
  const timestamp = Number(match[1]);
  if (Math.abs(now - timestamp) > SIGNATURE_MAX_AGE_MS) return 'stale';
  const expected = Buffer.from(mac(secret, timestamp, parts), 'hex');
  return timingSafeEqual(expected, Buffer.from(match[2]!, 'hex')) ? 'valid' : 'mismatch';
}
