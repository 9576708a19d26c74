import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import {
  badUserInput,
  conflict,
  forbidden,
  isUniqueViolation,
  isUuid,
  notFound,
  parseInput,
  unauthenticated,
  type LeanReader,
  type TokenIssuer,
  type Role,
  type Viewer,
} from '@bazaar/service';
import { type Outbox } from '@bazaar/events';
import { UserRegistered, UserRoleChanged } from '@bazaar/contracts/users';
import { Prisma, type PrismaClient, type User } from '../generated/prisma/client';
import { passwordProblem } from './password-policy';
import { hashPassword, verifyPassword } from './passwords';
import type { Throttles } from './throttling';
import {
  logInInput,
  normaliseRoles,
  setUserRolesInput,
  signUpInput,
  updateProfileInput,
} from './rules';

export interface Session {
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
}

export interface SignedIn {
  user: User;
  session: Session;
}

export interface AccountsSettings {
  refreshTokenTtlSeconds: number;
  /** A rotated refresh token presented again within this many seconds gets the same successor. */
  refreshGraceSeconds: number;
  /** HMAC key that derives a refresh token's successor from it. */
  successorKey: Buffer;
}

/** The client itself or an open transaction: both can run a statement. */
type Database = PrismaClient | Prisma.TransactionClient;

const INVALID_CREDENTIALS = 'The email or password is incorrect.';
const INVALID_REFRESH = 'The session is no longer valid; log in again.';

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Sign-up, log-in, sessions and roles: the rules of the users domain. */
export class Accounts {
  constructor(
    private readonly db: PrismaClient,
    private readonly tokens: TokenIssuer,
    private readonly outbox: Outbox,
    private readonly settings: AccountsSettings,
    private readonly throttles: Throttles,
    private readonly reader: LeanReader,
  ) {}

  async signUp(rawInput: unknown, clientAddress: string): Promise<SignedIn> {
    const input = parseInput(signUpInput, rawInput);
    const weakness = passwordProblem(input.password, input);
    if (weakness) throw badUserInput(`Invalid input: password: ${weakness}`, { fields: [{ field: 'password', message: weakness }] });
    await this.throttles.signUpAddress.consume(clientAddress);
    await this.throttles.signUpAccount.consume(input.email);
    const passwordHash = await hashPassword(input.password);
    try {
      return await this.db.$transaction(async (tx) => {
        const user = await tx.user.create({
          data: { email: input.email, displayName: input.displayName, passwordHash, roles: ['BUYER'] },
        });
        await this.outbox.add(tx, {
          definition: UserRegistered,
          key: user.id,
          data: { userId: user.id, displayName: user.displayName, roles: user.roles, registeredAt: user.createdAt.toISOString() },
        });
        return { user, session: await this.startSession(tx, user, randomUUID()) };
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('An account with this email already exists.', { field: 'email' });
      throw error;
    }
  }

  /**
   * Wrong passwords are throttled per account (the email, known or not, so the answer never tells
   * which emails exist) and per client address: growing delays, then a lock-out.
   */
  async logIn(rawInput: unknown, clientAddress: string): Promise<SignedIn> {
    const input = parseInput(logInInput, rawInput);
    const { logInAccount, logInAddress } = this.throttles;
    await Promise.all([logInAccount.check(input.email), logInAddress.check(clientAddress)]);
    const user = await this.db.user.findUnique({ where: { email: input.email } });
    if (!(await verifyPassword(user?.passwordHash, input.password)) || !user) {
      await Promise.all([logInAccount.fail(input.email), logInAddress.fail(clientAddress)]);
      throw unauthenticated(INVALID_CREDENTIALS);
    }
    // Only the account's count is cleared: one good password must not clear an address's failures.
    await logInAccount.succeed(input.email);
    return { user, session: await this.startSession(this.db, user, randomUUID()) };
  }

  /**
   * Rotates a refresh token. Each token is single-use: presenting one that was already rotated means
   * it leaked, so the whole family (every token descended from that log-in) is revoked — except
   * within the grace window, when two requests of one client refreshed at once: the later one gets
   * the same successor (derived from the token, so it need not be stored) and a fresh access token.
   */
  async refreshSession(refreshToken: string, clientAddress: string): Promise<SignedIn> {
    await this.throttles.refreshAddress.consume(clientAddress);
    const stored = await this.db.refreshToken.findUnique({
      where: { tokenHash: hashToken(refreshToken) },
      include: { user: true },
    });
    if (!stored || stored.revokedAt || stored.expiresAt <= new Date()) throw unauthenticated(INVALID_REFRESH);
    await this.throttles.refreshAccount.consume(stored.userId);

    const successor = createHmac('sha256', this.settings.successorKey).update(refreshToken).digest('base64url');
    const session = await this.db.$transaction(async (tx) => {
      const claimed = await tx.refreshToken.updateMany({
        where: { id: stored.id, rotatedAt: null, revokedAt: null },
        data: { rotatedAt: new Date() },
      });
      return claimed.count === 1 ? this.startSession(tx, stored.user, stored.familyId, successor) : null;
    });
    if (session) return { user: stored.user, session };
    const again = await this.sameSuccessor(stored.id, successor);
    if (again) return { user: stored.user, session: again };
    await this.revokeFamily(stored.familyId);
    throw unauthenticated(INVALID_REFRESH);
  }

  /** The successor session of a token rotated within the grace window, while neither was used or revoked since. */
  private async sameSuccessor(rotatedId: string, successor: string): Promise<Session | null> {
    const rotated = await this.db.refreshToken.findUnique({ where: { id: rotatedId } });
    const graceEnds = rotated?.rotatedAt && new Date(rotated.rotatedAt.getTime() + this.settings.refreshGraceSeconds * 1000);
    if (!rotated || rotated.revokedAt || !graceEnds || graceEnds < new Date()) return null;
    const next = await this.db.refreshToken.findUnique({ where: { tokenHash: hashToken(successor) }, include: { user: true } });
    if (!next || next.rotatedAt || next.revokedAt || next.familyId !== rotated.familyId) return null;
    const accessTokenExpiresAt = new Date(Date.now() + this.tokens.accessTokenTtlSeconds * 1000);
    const accessToken = await this.tokens.issueAccessToken({ id: next.user.id, roles: next.user.roles }, { expiresAt: accessTokenExpiresAt });
    return { accessToken, accessTokenExpiresAt, refreshToken: successor, refreshTokenExpiresAt: next.expiresAt };
  }

  async logOut(refreshToken: string): Promise<boolean> {
    const stored = await this.db.refreshToken.findUnique({ where: { tokenHash: hashToken(refreshToken) } });
    if (!stored) return false;
    return (await this.revokeFamily(stored.familyId)) > 0;
  }

  async updateProfile(viewer: Viewer, rawInput: unknown): Promise<User> {
    const input = parseInput(updateProfileInput, rawInput);
    return this.update(viewer.id, { ...(input.displayName !== undefined && { displayName: input.displayName }) });
  }

  async becomeSeller(viewer: Viewer): Promise<User> {
    return this.changeRoles(viewer.id, viewer, (current) => [...current, 'SELLER']);
  }

  async setUserRoles(viewer: Viewer, rawInput: unknown): Promise<User> {
    if (!viewer.roles.includes('ADMIN')) throw forbidden('Only admins can change roles.');
    const input = parseInput(setUserRolesInput, rawInput);
    const roles = normaliseRoles(input.roles);
    if (input.userId === viewer.id && !roles.includes('ADMIN')) {
      throw forbidden('Admins cannot remove their own ADMIN role.');
    }
    return this.changeRoles(input.userId, viewer, () => roles);
  }

  /** Changes roles and announces the change in one transaction; an unchanged set writes nothing. */
  private async changeRoles(userId: string, viewer: Viewer, next: (current: Role[]) => Role[]): Promise<User> {
    if (!isUuid(userId)) throw notFound('No user with this id.', { id: userId });
    return this.db.$transaction(async (tx) => {
      // Row lock: two concurrent changes each see the other's result, so every event's previousRoles is true.
      await tx.$executeRaw`SELECT 1 FROM users WHERE id = ${userId}::uuid FOR UPDATE`;
      const user = await tx.user.findUnique({ where: { id: userId } });
      if (!user) throw notFound('No user with this id.', { id: userId });
      const roles = normaliseRoles(next(user.roles));
      if (roles.length === user.roles.length && roles.every((role) => user.roles.includes(role))) return user;
      const updated = await tx.user.update({ where: { id: userId }, data: { roles } });
      await this.outbox.add(tx, {
        definition: UserRoleChanged,
        key: userId,
        data: { userId, roles, previousRoles: user.roles, changedBy: viewer.id },
      });
      return updated;
    });
  }

  /** The users of one request's loader (every seller and review author on a page): past Prisma's interpreter. */
  findMany(ids: readonly string[]): Promise<User[]> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return Promise.resolve([]);
    return this.reader.rows<User>({
      name: 'users-by-id',
      text: `SELECT id, email, "displayName", "passwordHash", roles::text[] AS roles, "createdAt", "updatedAt" FROM users WHERE id = ANY($1::uuid[])`,
      values: [valid],
    });
  }

  private async update(id: string, data: Prisma.UserUpdateInput): Promise<User> {
    try {
      return await this.db.user.update({ where: { id }, data });
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2025') {
        throw notFound('No user with this id.', { id });
      }
      throw error;
    }
  }

  private async revokeFamily(familyId: string): Promise<number> {
    const { count } = await this.db.refreshToken.updateMany({
      where: { familyId, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    return count;
  }

  private async startSession(db: Database, user: User, familyId: string, refreshToken = randomBytes(32).toString('base64url')): Promise<Session> {
    const refreshTokenExpiresAt = new Date(Date.now() + this.settings.refreshTokenTtlSeconds * 1000);
    await db.refreshToken.create({
      data: { tokenHash: hashToken(refreshToken), familyId, userId: user.id, expiresAt: refreshTokenExpiresAt },
    });
    const accessTokenExpiresAt = new Date(Date.now() + this.tokens.accessTokenTtlSeconds * 1000);
    const accessToken = await this.tokens.issueAccessToken(
      { id: user.id, roles: user.roles },
      { expiresAt: accessTokenExpiresAt },
    );
    return { accessToken, accessTokenExpiresAt, refreshToken, refreshTokenExpiresAt };
  }
}
