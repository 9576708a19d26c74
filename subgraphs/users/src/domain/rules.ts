import { z } from 'zod';
import { roles, type Role, type Viewer } from '@bazaar/service';

/** Emails compare case-insensitively and without surrounding spaces. */
export const email = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, 'must be at most 254 characters')
  .pipe(z.email({ message: 'must be a valid email address' }));

export const password = z
  .string()
  .min(10, 'must be at least 10 characters')
  .max(128, 'must be at most 128 characters');

export const displayName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(60, 'must be at most 60 characters');

export const signUpInput = z.object({ email, password, displayName });
export const logInInput = z.object({ email: z.string().trim().toLowerCase(), password: z.string() });
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
