/** Money is integer minor units and a currency (docs/schema-conventions.md); shown in the visitor's locale. */
export interface Money {
  amount: number;
  currency: string;
}

/** A total the saga has not priced yet (an order still PENDING) is null: shown as a dash. */
export const formatMoney = (money: Money | null) =>
  money ? new Intl.NumberFormat(undefined, { style: 'currency', currency: money.currency }).format(money.amount / 100) : '—';

/** Totals come as one amount per currency (a cart may hold offers in several). */
export const formatTotals = (totals: readonly Money[]) => (totals.length ? totals.map(formatMoney).join(' + ') : formatMoney({ amount: 0, currency: 'EUR' }));

export const formatDate = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export const humanize = (value: string) => value.charAt(0) + value.slice(1).toLowerCase().replace(/_/g, ' ');

/** The first GraphQL error's message, for a form's error line. */
export const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));
