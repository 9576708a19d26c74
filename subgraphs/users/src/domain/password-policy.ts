import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';

/**
 * Passwords after OWASP ASVS (V2.1): 12 to 128 characters, any characters; refused when found
 * among common passwords, keyboard walks and repeats (zxcvbn-ts with its maintained common
 * dictionary, score below 3) or when built from the account's own email or name.
 */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;
const MIN_SCORE = 3;

const strength = new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs });

export function passwordProblem(password: string, account: { email: string; displayName: string }): string | undefined {
  if (password.length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (password.length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
  const lower = password.toLowerCase();
  const [local = ''] = account.email.split('@');
  const own = [account.email, local, account.displayName].map((part) => part.toLowerCase()).filter((part) => part.length >= 4);
  if (own.some((part) => lower.includes(part))) return 'must not contain your email or name';
  if (strength.check(password, own).score < MIN_SCORE) return 'is too common or too easy to guess';
  return undefined;
}
