import { badUserInput } from './errors';

/**
 * The largest cart subtotal or order total, in minor units: 1,000,000,000 (€10,000,000.00 in EUR).
 * Totals are summed as exact integers and stored in 64-bit columns; this maximum keeps every total a
 * client reads within GraphQL's 32-bit `Int`. Documented in docs/errors.md.
 */
export const MAX_TOTAL_AMOUNT = 1_000_000_000;

/** BAD_USER_INPUT for a total above MAX_TOTAL_AMOUNT, naming the maximum. */
export function totalTooLarge(what: string, total: { amount: number; currency: string }, field: string) {
  return badUserInput(`The ${what} would be ${total.amount} ${total.currency} minor units, above the maximum of ${MAX_TOTAL_AMOUNT} (MAX_TOTAL_AMOUNT).`, {
    fields: [{ field, message: `would make the ${what} exceed ${MAX_TOTAL_AMOUNT}` }],
    maximum: MAX_TOTAL_AMOUNT,
  });
}

/**
 * A 64-bit amount column (Prisma `BigInt`) as the number the services and GraphQL use. Every stored
 * amount is within MAX_TOTAL_AMOUNT, far below 2^53, so this is exact; anything else is a bug, not input.
 */
export function amountFromColumn(column: bigint | number): number {
  const amount = Number(column);
  if (!Number.isSafeInteger(amount)) throw new Error(`The stored amount ${column} is not an exact integer number.`);
  return amount;
}
