import { hash, verify } from '@node-rs/argon2';

/** Argon2id (`Algorithm.Argon2id`, a const enum that isolated modules cannot read) with OWASP's defaults. */
const options = { algorithm: 2 } as const;

export const hashPassword = (password: string) => hash(password, options);

/**
 * Verified against a real hash even when the email is unknown, so the response time does not tell
 * an attacker which emails have accounts.
 */
const decoyHash = hash('decoy password that never matches', options);

export async function verifyPassword(passwordHash: string | undefined, password: string): Promise<boolean> {
  const matches = await verify(passwordHash ?? (await decoyHash), password);
  return passwordHash !== undefined && matches;
}
