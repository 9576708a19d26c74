/**
 * The events the books subgraph publishes: owned by books (subgraphs/books), which alone
 * changes them; reviews, cart and wishlist keep projections of the catalog; orders follows the stock reservations of the checkout saga (docs/checkout.md). A change a consumer cannot read is a new version, never an edit
 * (docs/events.md).
 */
import { z } from 'zod';
import { defineEvent } from '@bazaar/events';
import { id, money } from './primitives';

/** Books and listings; keyed by book or listing id. */
export const CATALOG_TOPIC = 'bazaar.catalog';
/** Stock: listing quantities and the checkout saga's reservations; keyed by listing or order id. */
export const INVENTORY_TOPIC = 'bazaar.inventory';

/** A book as BookCreated and BookUpdated carry it. */
const book = {
  bookId: id,
  isbn13: z.string().length(13),
  title: z.string(),
  authors: z.array(z.string()),
  genres: z.array(z.string()),
};
const condition = z.enum(['NEW', 'LIKE_NEW', 'VERY_GOOD', 'GOOD', 'ACCEPTABLE']);
const listingStatus = z.enum(['ACTIVE', 'PAUSED', 'SOLD_OUT', 'REMOVED']);
const pricedLine = z.object({
  listingId: id,
  bookId: id,
  sellerId: id,
  quantity: z.number().int().min(1),
  /** The catalog's authoritative price when the stock was reserved. */
  unitPrice: money,
});

/** A book joined the catalog. */
export const BookCreated = defineEvent({
  type: 'BookCreated',
  version: 1,
  topic: CATALOG_TOPIC,
  data: z.object({ ...book, createdBy: id }),
});

/** A book's details changed; `changedFields` names what changed, the rest is the book as it is now. */
export const BookUpdated = defineEvent({
  type: 'BookUpdated',
  version: 1,
  topic: CATALOG_TOPIC,
  data: z.object({ ...book, changedFields: z.array(z.string()), changedBy: id }),
});

/** A seller offers copies of a book. */
export const ListingCreated = defineEvent({
  type: 'ListingCreated',
  version: 1,
  topic: CATALOG_TOPIC,
  data: z.object({
    listingId: id,
    bookId: id,
    sellerId: id,
    condition,
    price: money,
    quantity: z.number().int().min(0),
    status: listingStatus,
  }),
});

/** A listing's price changed (carts and wishlists show the new price). */
export const ListingPriceChanged = defineEvent({
  type: 'ListingPriceChanged',
  version: 1,
  topic: CATALOG_TOPIC,
  data: z.object({ listingId: id, bookId: id, sellerId: id, price: money, previousPrice: money }),
});

/**
 * A listing's available quantity or status changed: restocked, reserved, released, paused or
 * resumed. Keyed by listing, on the inventory topic.
 */
export const ListingStockChanged = defineEvent({
  type: 'ListingStockChanged',
  version: 1,
  topic: INVENTORY_TOPIC,
  data: z.object({
    listingId: id,
    bookId: id,
    quantity: z.number().int().min(0),
    previousQuantity: z.number().int().min(0),
    status: listingStatus,
    /** UPDATED: the seller set the quantity (updateListing). */
    reason: z.enum(['RESTOCKED', 'RESERVED', 'RELEASED', 'PAUSED', 'RESUMED', 'UPDATED']),
    /** The stock reservation behind a RESERVED / RELEASED change. */
    reservationId: z.string().optional(),
  }),
});

/** A listing was withdrawn for good; it can no longer be bought. */
export const ListingRemoved = defineEvent({
  type: 'ListingRemoved',
  version: 1,
  topic: CATALOG_TOPIC,
  data: z.object({ listingId: id, bookId: id, sellerId: id, removedBy: id }),
});

/** Books reserved every line of an order at these prices; the order can be paid. Keyed by order id. */
export const StockReserved = defineEvent({
  type: 'StockReserved',
  version: 1,
  topic: INVENTORY_TOPIC,
  data: z.object({ orderId: id, reservationId: id, lines: z.array(pricedLine).min(1), total: money }),
});

/** Books could not reserve an order's lines (nothing was reserved); the order is rejected. */
export const StockRejected = defineEvent({
  type: 'StockRejected',
  version: 1,
  topic: INVENTORY_TOPIC,
  data: z.object({
    orderId: id,
    reasons: z
      .array(
        z.object({
          listingId: id,
          reason: z.enum(['NOT_FOUND', 'NOT_ACTIVE', 'INSUFFICIENT_STOCK', 'MIXED_CURRENCIES', 'OWN_LISTING', 'TOTAL_TOO_LARGE']),
          available: z.number().int().min(0),
        }),
      )
      .min(1),
  }),
});
