import { z } from 'zod';
import type { CartItem, ListingProjection } from '../generated/prisma/client';
import type { CartProblemModel, MoneyValue } from './types';

/** Copies of one listing a line may hold, and distinct lines a cart may hold. */
export const MAX_LINE_QUANTITY = 99;
export const MAX_CART_LINES = 100;

const listingId = z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters');
const quantity = z
  .number()
  .int('must be a whole number')
  .min(1, 'must be at least 1')
  .max(MAX_LINE_QUANTITY, `must be at most ${MAX_LINE_QUANTITY}`);
const guestCartToken = z.string().min(1).max(200).nullish();

export const addToCartInput = z.object({ listingId, quantity: quantity.default(1), guestCartToken });
export const updateCartItemInput = z.object({ listingId, quantity, guestCartToken });
export const removeFromCartInput = z.object({ listingId, guestCartToken });
export const clearCartInput = z.object({ guestCartToken }).nullish();
export const mergeGuestCartInput = z.object({ guestCartToken: z.string().min(1).max(200) });

/** Copies of a listing a buyer can put in a cart now: 0 unless the listing is known, priced, on sale and not removed. */
export function availableQuantity(listing: ListingProjection | null | undefined): number {
  if (!listing || listing.removedAt || listing.status !== 'ACTIVE' || listing.priceAmount === null) return 0;
  return listing.quantity;
}

export const acceptedPrice = (item: CartItem): MoneyValue => ({ amount: item.acceptedAmount, currency: item.acceptedCurrency });

/** The listing's current price, or the accepted one when the cart never learnt a price. */
export function currentPrice(item: CartItem, listing: ListingProjection | null | undefined): MoneyValue {
  if (!listing || listing.priceAmount === null || listing.currency === null) return acceptedPrice(item);
  return { amount: listing.priceAmount, currency: listing.currency };
}

export const lineTotal = (item: CartItem, listing: ListingProjection | null | undefined): MoneyValue => {
  const price = currentPrice(item, listing);
  return { amount: price.amount * item.quantity, currency: price.currency };
};

const formatMoney = ({ amount, currency }: MoneyValue) => `${(amount / 100).toFixed(2)} ${currency}`;
const copies = (count: number) => `${count} ${count === 1 ? 'copy is' : 'copies are'}`;

/** What changed about a line's listing since the buyer added it (or last changed the line). */
export function problemsOf(item: CartItem, listing: ListingProjection | null | undefined): CartProblemModel[] {
  const base = { item, availableQuantity: null, previousPrice: null, currentPrice: null };
  if (!listing || listing.removedAt || listing.priceAmount === null) {
    return [{ ...base, kind: 'LISTING_REMOVED', message: 'This listing was withdrawn by its seller.', availableQuantity: 0 }];
  }
  const problems: CartProblemModel[] = [];
  const available = availableQuantity(listing);
  if (available === 0) {
    problems.push({ ...base, kind: 'LISTING_UNAVAILABLE', message: 'This listing is not on sale at the moment.', availableQuantity: 0 });
  } else if (available < item.quantity) {
    problems.push({ ...base, kind: 'INSUFFICIENT_STOCK', message: `Only ${copies(available)} available.`, availableQuantity: available });
  }
  const previous = acceptedPrice(item);
  const now = currentPrice(item, listing);
  if (previous.amount !== now.amount || previous.currency !== now.currency) {
    problems.push({
      ...base,
      kind: 'PRICE_CHANGED',
      message: `The price changed from ${formatMoney(previous)} to ${formatMoney(now)}.`,
      previousPrice: previous,
      currentPrice: now,
    });
  }
  return problems;
}

/** The line totals of the lines that can be bought now, summed per currency (currencies in alphabetical order). */
export function subtotalOf(items: readonly CartItem[], listings: ReadonlyMap<string, ListingProjection>): MoneyValue[] {
  const sums = new Map<string, number>();
  for (const item of items) {
    const listing = listings.get(item.listingId);
    if (availableQuantity(listing) === 0) continue;
    const total = lineTotal(item, listing);
    sums.set(total.currency, (sums.get(total.currency) ?? 0) + total.amount);
  }
  return [...sums.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([currency, amount]) => ({ amount, currency }));
}
