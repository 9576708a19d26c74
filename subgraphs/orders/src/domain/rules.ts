import { createHash } from 'node:crypto';
import { z } from 'zod';
import { countryCode, isUuid } from '@bazaar/service';

const MAX_ORDER_LINES = 50;
const MAX_LINE_QUANTITY = 99;

const text = (max: number) => z.string().trim().min(1).max(max);

/** 8 to 128 letters, digits, `-` or `_` (a UUID fits). */
export const idempotencyKey = z.string().regex(/^[A-Za-z0-9_-]{8,128}$/, 'must be 8 to 128 letters, digits, "-" or "_"');

export const placeOrderInput = z.object({
  items: z
    .array(z.object({ listingId: text(100), quantity: z.number().int().min(1).max(MAX_LINE_QUANTITY) }))
    .min(1, 'an order needs at least one item')
    .max(MAX_ORDER_LINES)
    .refine((items) => new Set(items.map(({ listingId }) => listingId)).size === items.length, 'each listing at most once'),
  shippingAddress: z.object({
    name: text(200),
    line1: text(200),
    line2: z
      .string()
      .trim()
      .max(200)
      .nullish()
      .transform((value) => value || null),
    postalCode: text(20),
    city: text(100),
    country: countryCode,
  }),
});

export type PlaceOrderInput = z.infer<typeof placeOrderInput>;

/** The same request however its lines are ordered: a SHA-256 of the normalised input. */
export function requestHash(input: PlaceOrderInput): string {
  const items = [...input.items].sort((a, b) => (a.listingId < b.listingId ? -1 : a.listingId > b.listingId ? 1 : 0));
  const { name, line1, line2, postalCode, city, country } = input.shippingAddress;
  return createHash('sha256')
    .update(JSON.stringify({ items: items.map(({ listingId, quantity }) => [listingId, quantity]), address: [name, line1, line2, postalCode, city, country] }))
    .digest('hex');
}

export const cancelOrderInput = z.object({ orderId: z.string(), reason: z.string().trim().max(500).nullish() });
export const shipFulfilmentInput = z.object({ orderId: z.string(), carrier: text(50), trackingNumber: text(100) });

/** Order ids are UUIDs; anything else names no order. */
export const isOrderId = isUuid;

