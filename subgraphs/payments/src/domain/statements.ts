import { amountFromColumn, connectionOf, cursorValue, decodeCursor, encodeCursor, forbidden, hasRole, pageArgs, requireRole, requireViewer, type AuthState, type Connection } from '@bazaar/service';
import type { LedgerAccount, LedgerEntry, LedgerTransaction, Payout, PrismaClient } from '../generated/prisma/client';
import { MARKETPLACE, SELLER_ACCOUNTS } from './ledger';

/** A seller's ledger entry with its account and transaction, as statements show it. */
export type StatementEntry = LedgerEntry & { account: LedgerAccount; transaction: LedgerTransaction };

export interface Money {
  amount: number;
  currency: string;
}

/** A seller's balances, each list holding one Money per currency the seller has earned in, in the same (alphabetical) order. */
export interface SellerBalance {
  pending: Money[];
  available: Money[];
  paidOut: Money[];
}

/** A page of payouts, newest first, ties by id: (createdAt, id) descending, the cursor holding both. */
function payoutsPage(args: { first?: number | null; after?: string | null }) {
  const page = pageArgs(args);
  const position = decodeCursor(page.after, 'payouts', [cursorValue.timestamp, cursorValue.uuid]);
  const at = position && new Date(position[0] as string);
  const where = position ? { OR: [{ createdAt: { lt: at! } }, { createdAt: at!, id: { lt: position[1] as string } }] } : {};
  const connection = (rows: Payout[]) => connectionOf(rows, page, (row) => encodeCursor('payouts', [row.createdAt.toISOString(), row.id]));
  return { take: page.first + 1, where, orderBy: [{ createdAt: 'desc' as const }, { id: 'desc' as const }], connection };
}

/** A page of a statement, newest first by ledger position (the order balances moved in). */
function ledgerPage(args: { first?: number | null; after?: string | null }) {
  const page = pageArgs(args);
  const position = decodeCursor(page.after, 'ledger', [cursorValue.integer]);
  const where = position ? { position: { lt: BigInt(position[0] as number) } } : {};
  const connection = (rows: StatementEntry[]) => connectionOf(rows, page, (row) => encodeCursor('ledger', [amountFromColumn(row.position)]));
  return { take: page.first + 1, where, orderBy: { position: 'desc' as const }, connection };
}

/**
 * What sellers (and admins) read of the ledger: balances, the statement (every entry on the
 * seller's accounts, newest first), payouts, and the marketplace's commission (admins only). A
 * seller's data is theirs: anyone else but an admin gets FORBIDDEN.
 */
export class Statements {
  constructor(private readonly db: PrismaClient) {}

  async balance(auth: AuthState, userId: string): Promise<SellerBalance> {
    ownerOrAdmin(auth, userId);
    const accounts = await this.db.ledgerAccount.findMany({ where: { ownerId: userId, kind: { in: [...SELLER_ACCOUNTS] } }, orderBy: { currency: 'asc' } });
    const currencies = [...new Set(accounts.map(({ currency }) => currency))];
    const of = (kind: string) =>
      currencies.map((currency) => ({ amount: amountFromColumn(accounts.find((account) => account.kind === kind && account.currency === currency)?.balance ?? 0n), currency }));
    return { pending: of('PENDING'), available: of('AVAILABLE'), paidOut: of('PAID_OUT') };
  }

  async ledger(auth: AuthState, userId: string, args: { first?: number | null; after?: string | null }): Promise<Connection<StatementEntry> & { totalCount: number }> {
    ownerOrAdmin(auth, userId);
    const page = ledgerPage(args);
    const mine = { account: { ownerId: userId, kind: { in: [...SELLER_ACCOUNTS] } } };
    const [rows, totalCount] = await Promise.all([
      this.db.ledgerEntry.findMany({ where: { ...mine, ...page.where }, orderBy: page.orderBy, take: page.take, include: { account: true, transaction: true } }),
      this.db.ledgerEntry.count({ where: mine }),
    ]);
    return { ...page.connection(rows), totalCount };
  }

  async payouts(auth: AuthState, userId: string, args: { first?: number | null; after?: string | null }): Promise<Connection<Payout> & { totalCount: number }> {
    ownerOrAdmin(auth, userId);
    const page = payoutsPage(args);
    const [rows, totalCount] = await Promise.all([
      this.db.payout.findMany({ where: { sellerId: userId, ...page.where }, orderBy: page.orderBy, take: page.take }),
      this.db.payout.count({ where: { sellerId: userId } }),
    ]);
    return { ...page.connection(rows), totalCount };
  }

  /** Payouts by id, for LedgerEntry.payout (one query per request). */
  async payoutsByIds(ids: readonly string[]): Promise<Map<string, Payout>> {
    const payouts = await this.db.payout.findMany({ where: { id: { in: [...ids] } } });
    return new Map(payouts.map((payout) => [payout.id, payout]));
  }

  /** The commission the marketplace has earned (net of reversals), per currency: admins only. */
  async commissionEarned(auth: AuthState): Promise<Money[]> {
    requireRole(auth, 'ADMIN');
    const accounts = await this.db.ledgerAccount.findMany({ where: { ownerId: MARKETPLACE, kind: 'COMMISSION' }, orderBy: { currency: 'asc' } });
    return accounts.map(({ balance, currency }) => ({ amount: amountFromColumn(balance), currency }));
  }
}

function ownerOrAdmin(auth: AuthState, userId: string): void {
  const viewer = requireViewer(auth);
  if (viewer.id !== userId && !hasRole(viewer, 'ADMIN')) throw forbidden('Only the seller themself (or an admin) can see their balance, ledger and payouts.');
}
