import type { Prisma } from '../generated/prisma/client';

type Tx = Prisma.TransactionClient;

/** A seller's accounts, per currency: money earned but held, money they may be paid, money paid to them. */
export const SELLER_ACCOUNTS = ['PENDING', 'AVAILABLE', 'PAID_OUT'] as const;
export type SellerAccountKind = (typeof SELLER_ACCOUNTS)[number];

/** The marketplace's accounts: its commission, and the clearing account buyers' money is booked against. */
type MarketplaceAccountKind = 'COMMISSION' | 'BUYER_FUNDS';
type AccountKind = SellerAccountKind | MarketplaceAccountKind;

/** The owner id of the marketplace's own accounts. */
export const MARKETPLACE = 'marketplace';

export type LedgerTransactionKind = 'SALE' | 'RELEASE' | 'REVERSAL' | 'PAYOUT';

/** One side of a transaction: a signed amount (minor units) on an owner's account of a kind. */
export interface Posting {
  ownerId: string;
  kind: AccountKind;
  currency: string;
  amount: bigint;
  orderId?: string;
  sellerId?: string;
  payoutId?: string;
}

class UnbalancedTransaction extends Error {
  constructor(currency: string, leftOver: bigint) {
    super(`A ledger transaction must balance: ${leftOver} ${currency} minor units left over.`);
    this.name = 'UnbalancedTransaction';
  }
}

/** Throws unless the postings sum to zero in every currency. */
function assertBalanced(postings: readonly Posting[]): void {
  const totals = new Map<string, bigint>();
  for (const { currency, amount } of postings) totals.set(currency, (totals.get(currency) ?? 0n) + amount);
  for (const [currency, total] of totals) if (total !== 0n) throw new UnbalancedTransaction(currency, total);
}

/**
 * Writes one balanced transaction in the caller's database transaction. The domain checks the
 * balance first; the database checks it again at commit (a deferred trigger) and moves each
 * account's balance as its entry is inserted. Entries go in the order of their accounts' ids, so
 * concurrent postings lock accounts in one order and never deadlock on each other.
 */
export async function post(tx: Tx, transaction: { kind: LedgerTransactionKind; description: string; postings: readonly Posting[]; at?: Date }): Promise<string> {
  assertBalanced(transaction.postings);
  const postings = transaction.postings.filter(({ amount }) => amount !== 0n);
  const accounts = await accountsFor(tx, postings);
  const at = transaction.at ?? new Date();
  const { id } = await tx.ledgerTransaction.create({ data: { kind: transaction.kind, description: transaction.description, createdAt: at }, select: { id: true } });
  const entries = postings
    .map(({ ownerId, kind, currency, amount, orderId, sellerId, payoutId }) => ({
      transactionId: id,
      accountId: accounts.get(accountKey(ownerId, kind, currency))!,
      amount,
      currency,
      orderId: orderId ?? null,
      sellerId: sellerId ?? null,
      payoutId: payoutId ?? null,
      createdAt: at,
    }))
    .sort((a, b) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0));
  await tx.ledgerEntry.createMany({ data: entries });
  return id;
}

const accountKey = (ownerId: string, kind: string, currency: string) => `${ownerId}\u0000${kind}\u0000${currency}`;

/** The accounts the postings name, opened on first use. */
async function accountsFor(tx: Tx, postings: readonly Posting[]): Promise<Map<string, string>> {
  const wanted = [...new Map(postings.map((p) => [accountKey(p.ownerId, p.kind, p.currency), { ownerId: p.ownerId, kind: p.kind, currency: p.currency }])).values()];
  await tx.ledgerAccount.createMany({ data: wanted, skipDuplicates: true });
  const found = await tx.ledgerAccount.findMany({ where: { OR: wanted }, select: { id: true, ownerId: true, kind: true, currency: true } });
  return new Map(found.map((account) => [accountKey(account.ownerId, account.kind, account.currency), account.id]));
}

/**
 * The marketplace's commission on a seller's part of an order: `gross × bps / 10 000`, rounded to
 * the nearest minor unit, halves up (docs/payouts.md). Exact integer arithmetic.
 */
export function commissionOf(gross: bigint, bps: number): bigint {
  return (gross * BigInt(bps) + 5_000n) / 10_000n;
}
