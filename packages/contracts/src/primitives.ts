/** The field types every producer's events share, so an id or an amount means the same everywhere. */
import { z } from 'zod';

export const id = z.string().min(1);
export const instant = z.iso.datetime();
/** Money in integer minor units of a three-letter ISO 4217 currency. */
export const money = z.object({ amount: z.number().int().min(0), currency: z.string().length(3) });
