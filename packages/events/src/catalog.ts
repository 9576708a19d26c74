import { z } from 'zod';
import { defineEvent, type EventDefinition } from './envelope';
import { TOPICS } from './topics';

const role = z.enum(['BUYER', 'SELLER', 'ADMIN']);
const id = z.string().min(1);
const instant = z.iso.datetime();

/** A new account exists. Consumers keep what they need of it (e.g. display names) as a projection. */
export const UserRegistered = defineEvent({
  type: 'UserRegistered',
  version: 1,
  topic: TOPICS.users,
  data: z.object({ userId: id, displayName: z.string(), roles: z.array(role), registeredAt: instant }),
});

/** A user's roles changed (became a seller, or an admin changed them). */
export const UserRoleChanged = defineEvent({
  type: 'UserRoleChanged',
  version: 1,
  topic: TOPICS.users,
  data: z.object({
    userId: id,
    roles: z.array(role),
    previousRoles: z.array(role),
    /** Who made the change: the user themself, or an admin. */
    changedBy: id,
  }),
});

// --- Catalog (books subgraph) ---

const money = z.object({ amount: z.number().int().min(0), currency: z.string().length(3) });
const condition = z.enum(['NEW', 'LIKE_NEW', 'VERY_GOOD', 'GOOD', 'ACCEPTABLE']);
const listingStatus = z.enum(['ACTIVE', 'PAUSED', 'SOLD_OUT', 'REMOVED']);

/** A book joined the catalog. */
export const BookCreated = defineEvent({
  type: 'BookCreated',
  version: 1,
  topic: TOPICS.catalog,
  data: z.object({
    bookId: id,
    isbn13: z.string().length(13),
    title: z.string(),
    authors: z.array(z.string()),
    genres: z.array(z.string()),
    createdBy: id,
  }),
});

/** A book's details changed; `changedFields` names what changed, the rest is the book as it is now. */
export const BookUpdated = defineEvent({
  type: 'BookUpdated',
  version: 1,
  topic: TOPICS.catalog,
  data: z.object({
    bookId: id,
    isbn13: z.string().length(13),
    title: z.string(),
    authors: z.array(z.string()),
    genres: z.array(z.string()),
    changedFields: z.array(z.string()),
    changedBy: id,
  }),
});

/** A seller offers copies of a book. */
export const ListingCreated = defineEvent({
  type: 'ListingCreated',
  version: 1,
  topic: TOPICS.catalog,
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
  topic: TOPICS.catalog,
  data: z.object({ listingId: id, bookId: id, sellerId: id, price: money, previousPrice: money }),
});

/**
 * A listing's available quantity or status changed: restocked, reserved, released, paused or
 * resumed. Keyed by listing, on the inventory topic.
 */
export const ListingStockChanged = defineEvent({
  type: 'ListingStockChanged',
  version: 1,
  topic: TOPICS.inventory,
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
  topic: TOPICS.catalog,
  data: z.object({ listingId: id, bookId: id, sellerId: id, removedBy: id }),
});

// --- Reviews (reviews subgraph) ---

const rating = z.number().int().min(1).max(5);

/** A user reviewed a book. */
export const ReviewWritten = defineEvent({
  type: 'ReviewWritten',
  version: 1,
  topic: TOPICS.reviews,
  data: z.object({
    reviewId: id,
    bookId: id,
    authorId: id,
    rating,
    verifiedPurchase: z.boolean(),
    createdAt: instant,
  }),
});

/** A review's rating, title or body changed; `changedFields` names what changed. */
export const ReviewEdited = defineEvent({
  type: 'ReviewEdited',
  version: 1,
  topic: TOPICS.reviews,
  data: z.object({
    reviewId: id,
    bookId: id,
    authorId: id,
    rating,
    previousRating: rating,
    changedFields: z.array(z.string()),
  }),
});

/** A review was deleted by its author or an admin. */
export const ReviewDeleted = defineEvent({
  type: 'ReviewDeleted',
  version: 1,
  topic: TOPICS.reviews,
  data: z.object({ reviewId: id, bookId: id, authorId: id, rating, deletedBy: id }),
});

// --- Orders (orders subgraph) ---

/** An order reached its buyer. Reviews marks the buyer's reviews of its books as verified purchases. */
export const OrderDelivered = defineEvent({
  type: 'OrderDelivered',
  version: 1,
  topic: TOPICS.orders,
  data: z.object({
    orderId: id,
    buyerId: id,
    deliveredAt: instant,
    lines: z.array(z.object({ listingId: id, bookId: id, quantity: z.number().int().min(1) })).min(1),
  }),
});

/** An order was paid (lines shaped as in OrderDelivered): the cart drops the bought quantities. */
export const OrderPaid = defineEvent({
  type: 'OrderPaid',
  version: 1,
  topic: TOPICS.orders,
  data: z.object({
    orderId: id,
    buyerId: id,
    paidAt: instant,
    lines: z.array(z.object({ listingId: id, bookId: id, quantity: z.number().int().min(1) })).min(1),
    /** The authorised payment orders accepted: payments captures exactly this one. */
    paymentId: id.optional(),
  }),
});

// --- Checkout saga (orders, books, payments): see docs/checkout.md ---

const orderLine = z.object({ listingId: id, quantity: z.number().int().min(1) });
const pricedLine = z.object({
  listingId: id,
  bookId: id,
  sellerId: id,
  quantity: z.number().int().min(1),
  /** The catalog's authoritative price when the stock was reserved. */
  unitPrice: money,
});

/** A buyer placed an order (PENDING): books reserves every line or none. Keyed by order id. */
export const OrderPlaced = defineEvent({
  type: 'OrderPlaced',
  version: 1,
  topic: TOPICS.orders,
  data: z.object({ orderId: id, buyerId: id, lines: z.array(orderLine).min(1), placedAt: instant, expiresAt: instant }),
});

/** Books reserved every line of an order at these prices; the order can be paid. Keyed by order id. */
export const StockReserved = defineEvent({
  type: 'StockReserved',
  version: 1,
  topic: TOPICS.inventory,
  data: z.object({ orderId: id, reservationId: id, lines: z.array(pricedLine).min(1), total: money }),
});

/** Books could not reserve an order's lines (nothing was reserved); the order is rejected. */
export const StockRejected = defineEvent({
  type: 'StockRejected',
  version: 1,
  topic: TOPICS.inventory,
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

/** The order's stock is reserved and its total known: payments may charge this amount until expiresAt. */
export const OrderAwaitingPayment = defineEvent({
  type: 'OrderAwaitingPayment',
  version: 1,
  topic: TOPICS.orders,
  data: z.object({ orderId: id, buyerId: id, total: money, expiresAt: instant }),
});

/**
 * The order ended without being (or staying) paid: books releases its reservation (or restocks what
 * was committed), payments refunds whatever was captured for it.
 */
export const OrderCancelled = defineEvent({
  type: 'OrderCancelled',
  version: 1,
  topic: TOPICS.orders,
  data: z.object({
    orderId: id,
    buyerId: id,
    /** CANCELLED by the buyer, EXPIRED unpaid, or REFUNDED after a payment arrived too late. */
    outcome: z.enum(['CANCELLED', 'EXPIRED', 'REFUNDED']),
    reason: z.string(),
    /** Whether the stock had already been committed (order paid): books restocks instead of releasing. */
    stockCommitted: z.boolean(),
    lines: z.array(z.object({ listingId: id, quantity: z.number().int().min(1) })).min(1),
    cancelledAt: instant,
  }),
});

/**
 * Orders refused an authorised payment (the order was no longer awaiting it, or the amount differs):
 * payments voids the authorization, so nothing is captured. Keyed by order id.
 */
export const OrderPaymentRejected = defineEvent({
  type: 'OrderPaymentRejected',
  version: 1,
  topic: TOPICS.orders,
  data: z.object({ orderId: id, paymentId: id, reason: z.string(), rejectedAt: instant }),
});

/**
 * The buyer's card holds the order's total (nothing taken yet). Orders accepts it for an order still
 * awaiting payment (OrderPaid with this paymentId, then payments captures) or rejects it
 * (OrderPaymentRejected, then payments voids). Keyed by order id.
 */
export const PaymentAuthorized = defineEvent({
  type: 'PaymentAuthorized',
  version: 1,
  topic: TOPICS.payments,
  data: z.object({ paymentId: id, orderId: id, amount: money, authorizedAt: instant }),
});

/** A payment for an order was captured. Keyed by order id. */
export const PaymentSucceeded = defineEvent({
  type: 'PaymentSucceeded',
  version: 1,
  topic: TOPICS.payments,
  data: z.object({ paymentId: id, orderId: id, amount: money, paidAt: instant }),
});

/** A payment attempt for an order failed; the order stays payable with another attempt. */
export const PaymentFailed = defineEvent({
  type: 'PaymentFailed',
  version: 1,
  topic: TOPICS.payments,
  data: z.object({
    paymentId: id,
    orderId: id,
    code: z.enum(['CARD_DECLINED', 'INSUFFICIENT_FUNDS', 'PROVIDER_TIMEOUT', 'ORDER_NOT_PAYABLE']),
    reason: z.string(),
    failedAt: instant,
  }),
});

/** Money went back to the buyer (all of it, or part for cancelled lines). */
export const PaymentRefunded = defineEvent({
  type: 'PaymentRefunded',
  version: 1,
  topic: TOPICS.payments,
  data: z.object({ paymentId: id, orderId: id, refundId: id, amount: money, full: z.boolean(), reason: z.string(), refundedAt: instant }),
});

// --- Wishlist ---

/** A listing of a wished book appeared at, or dropped to, the wisher's target price or below. */
export const WishlistPriceAlert = defineEvent({
  type: 'WishlistPriceAlert',
  version: 1,
  topic: TOPICS.wishlist,
  data: z.object({
    notificationId: id,
    userId: id,
    bookId: id,
    listingId: id,
    price: money,
    targetPrice: money,
    alertedAt: instant,
  }),
});

/** Every event the marketplace publishes; a consumer looks definitions up here by type and version. */
export const EVENT_CATALOG: readonly EventDefinition[] = [
  UserRegistered,
  UserRoleChanged,
  BookCreated,
  BookUpdated,
  ListingCreated,
  ListingPriceChanged,
  ListingStockChanged,
  ListingRemoved,
  ReviewWritten,
  ReviewEdited,
  ReviewDeleted,
  OrderDelivered,
  OrderPaid,
  OrderPlaced,
  StockReserved,
  StockRejected,
  OrderAwaitingPayment,
  OrderCancelled,
  OrderPaymentRejected,
  PaymentAuthorized,
  PaymentSucceeded,
  PaymentFailed,
  PaymentRefunded,
  WishlistPriceAlert,
];

export function findEventDefinition(type: string, version: number): EventDefinition | undefined {
  return EVENT_CATALOG.find((definition) => definition.type === type && definition.version === version);
}
