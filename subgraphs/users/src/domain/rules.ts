import { z } from 'zod';
import { roles, type Role, type Viewer } from '@bazaar/service';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './password-policy';

/** Emails compare case-insensitively and without surrounding spaces. */
const email = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, 'must be at most 254 characters')
  .pipe(z.email({ message: 'must be a valid email address' }));

/** Length only; the rest of the policy needs the email and name (password-policy.ts). */
const password = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `must be at least ${PASSWORD_MIN_LENGTH} characters`)
  .max(PASSWORD_MAX_LENGTH, `must be at most ${PASSWORD_MAX_LENGTH} characters`);

const displayName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(60, 'must be at most 60 characters');

export const signUpInput = z.object({ email, password, displayName });
// Bounded so an over-long password is refused before it is hashed.
export const logInInput = z.object({
  email: z.string().trim().toLowerCase().max(254, 'must be at most 254 characters'),
  password: z.string().max(PASSWORD_MAX_LENGTH, `must be at most ${PASSWORD_MAX_LENGTH} characters`),
});
export const updateProfileInput = z.object({ displayName: displayName.optional() });
export const setUserRolesInput = z.object({
  userId: z.string().min(1),
  roles: z.array(z.enum(roles)),
});

/** Every account keeps BUYER; the rest is what was asked for, in a stable order. */
export function normaliseRoles(requested: readonly Role[]): Role[] {
  const wanted = new Set<Role>(['BUYER', ...requested]);
  return roles.filter((role) => wanted.has(role));
}

export const canSeeEmail = (viewer: Viewer | null, userId: string) =>
  viewer !== null && (viewer.id === userId || viewer.roles.includes('ADMIN'));
