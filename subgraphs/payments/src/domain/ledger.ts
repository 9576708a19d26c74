import type { RawSql } from '@bazaar/service';

type Tx = RawSql;

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

/** The ledger of one database: postings, and the accounts they open on first use. */
export class Ledger {
  /**
   * Account ids already committed, by owner, kind and currency, of this ledger's database. An
   * account is never deleted and its id never changes, so once seen committed it is known for
   * good; the marketplace's accounts, used by every sale, are then found without a statement.
   */
  private readonly knownAccounts = new Map<string, string>();

  /**
   * Writes one balanced transaction in the caller's database transaction. The domain checks the
   * balance first; the database checks it again at commit (a deferred trigger) and moves each
   * account's balance as its entry is inserted. Entries go in the order of their accounts' ids, so
   * concurrent postings lock accounts in one order and never deadlock on each other. The transaction
   * and its entries are one statement (a sale's OrderPaid handler holds the marketplace's accounts
   * from its first entry to its commit, so every round trip after that is time other sales wait).
   */
  async post(tx: Tx, transaction: { kind: LedgerTransactionKind; description: string; postings: readonly Posting[]; at?: Date }): Promise<string> {
    assertBalanced(transaction.postings);
    const postings = transaction.postings.filter(({ amount }) => amount !== 0n);
    const accounts = await this.accountsFor(tx, postings);
    const at = transaction.at ?? new Date();
    const entries = postings
      .map((posting) => ({ ...posting, accountId: accounts.get(accountKey(posting.ownerId, posting.kind, posting.currency))! }))
      .sort((a, b) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0));
    const [written] = await tx.$queryRaw<{ id: string }[]>`
      WITH written AS (
        INSERT INTO ledger_transactions (id, kind, description, created_at)
        VALUES (uuidv7(), ${transaction.kind}, ${transaction.description}, ${at})
        RETURNING id),
      entries AS (
        INSERT INTO ledger_entries (id, transaction_id, account_id, amount, currency, order_id, seller_id, payout_id, created_at)
        SELECT uuidv7(), written.id, entry.account_id, entry.amount, entry.currency, entry.order_id, entry.seller_id, entry.payout_id, ${at}::timestamptz
          FROM written, unnest(${entries.map((entry) => entry.accountId)}::uuid[], ${entries.map((entry) => entry.amount.toString())}::bigint[],
                               ${entries.map((entry) => entry.currency)}::text[], ${entries.map((entry) => entry.orderId ?? null)}::text[],
                               ${entries.map((entry) => entry.sellerId ?? null)}::text[], ${entries.map((entry) => entry.payoutId ?? null)}::uuid[])
               WITH ORDINALITY AS entry(account_id, amount, currency, order_id, seller_id, payout_id, place)
         ORDER BY entry.place)
      SELECT id FROM written`;
    return written!.id;
  }

  /** The accounts the postings name, opened on first use. */
  private async accountsFor(tx: Tx, postings: readonly Posting[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const missing = new Map<string, { ownerId: string; kind: string; currency: string }>();
    for (const { ownerId, kind, currency } of postings) {
      const key = accountKey(ownerId, kind, currency);
      const id = this.knownAccounts.get(key);
      if (id) found.set(key, id);
      else missing.set(key, { ownerId, kind, currency });
  }
  if (missing.size === 0) return found;
  const wanted = [...missing.values()];
  // Opened here: this transaction may still roll back, so these ids are not remembered.
  const opened = await tx.$queryRaw<{ id: string; owner_id: string; kind: string; currency: string }[]>`
    INSERT INTO ledger_accounts (id, owner_id, kind, currency)
    SELECT uuidv7(), owner_id, kind, currency
      FROM unnest(${wanted.map((a) => a.ownerId)}::text[], ${wanted.map((a) => a.kind)}::text[], ${wanted.map((a) => a.currency)}::text[]) AS a(owner_id, kind, currency)
    ON CONFLICT DO NOTHING
    RETURNING id, owner_id, kind, currency`;
  for (const account of opened) found.set(accountKey(account.owner_id, account.kind, account.currency), account.id);
  const existing = wanted.filter((a) => !found.has(accountKey(a.ownerId, a.kind, a.currency)));
  if (existing.length > 0) {
    // ON CONFLICT waited for other transactions opening the same accounts: what is found is
    // committed, unless this transaction wrote the row itself (an earlier posting of it).
    const rows = await tx.$queryRaw<{ id: string; owner_id: string; kind: string; currency: string; mine: boolean | null }[]>`
      SELECT a.id, a.owner_id, a.kind, a.currency, a.xmin::text::bigint = txid_current_if_assigned() % 4294967296 AS mine
        FROM ledger_accounts a
        JOIN unnest(${existing.map((e) => e.ownerId)}::text[], ${existing.map((e) => e.kind)}::text[], ${existing.map((e) => e.currency)}::text[]) AS w(owner_id, kind, currency)
          ON a.owner_id = w.owner_id AND a.kind = w.kind AND a.currency = w.currency`;
    for (const account of rows) {
      const key = accountKey(account.owner_id, account.kind, account.currency);
      found.set(key, account.id);
      if (account.mine !== true) this.knownAccounts.set(key, account.id);
    }
  }
  return found;
  }
}

const accountKey = (ownerId: string, kind: string, currency: string) => `${ownerId}\u0000${kind}\u0000${currency}`;

/**
 * The marketplace's commission on a seller's part of an order: `gross × bps / 10 000`, rounded to
 * the nearest minor unit, halves up (docs/payouts.md). Exact integer arithmetic.
 */
export function commissionOf(gross: bigint, bps: number): bigint {
  return (gross * BigInt(bps) + 5_000n) / 10_000n;
}
