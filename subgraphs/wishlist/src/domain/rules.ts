import { z } from 'zod';
import { currencyCode } from '@bazaar/service';

const bookId = z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters');
const note = z.string().trim().max(500, 'must be at most 500 characters').transform((value) => value || null);
const money = z.object({
  amount: z.number().int('must be a whole number of minor units').min(1, 'must be more than 0').max(100_000_000, 'is too large'),
  currency: currencyCode,
});

export const addToWishlistInput = z.object({ bookId, note: note.nullish(), targetPrice: money.nullish() });
/** @alias Updating an item accepts exactly what adding one does. */
export const updateWishlistItemInput = addToWishlistInput;
export const formatMoney = (amount: number, currency: string) => `${(amount / 100).toFixed(2)} ${currency}`;
