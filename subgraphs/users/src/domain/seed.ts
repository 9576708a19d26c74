import { DEMO_ACCOUNTS } from '@bazaar/demo';
import type { PrismaClient } from '../generated/prisma/client';
import { hashPassword } from './passwords';

/** Creates the demo accounts that do not exist yet; existing ones are left as they are. */
export async function seedDemoAccounts(db: PrismaClient): Promise<number> {
  const existing = new Set(
    (await db.user.findMany({ where: { email: { in: DEMO_ACCOUNTS.map(({ email }) => email) } }, select: { email: true } })).map(
      ({ email }) => email,
    ),
  );
  const missing = DEMO_ACCOUNTS.filter(({ email }) => !existing.has(email));
  if (missing.length === 0) return 0;
  const data = await Promise.all(
    missing.map(async ({ id, email, displayName, roles, password }) => ({ id, email, displayName, roles: [...roles], passwordHash: await hashPassword(password) })),
  );
  const { count } = await db.user.createMany({ data, skipDuplicates: true });
  return count;
}
