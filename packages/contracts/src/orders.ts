/**
 * The events the orders subgraph publishes: owned by orders (subgraphs/orders), which alone
 * changes them; books, payments, cart and reviews react to them (the checkout saga: docs/checkout.md). A change a consumer cannot read is a new version, never an edit
 * (docs/events.md).
 */
import { z } from 'zod';
import { defineEvent } from '@bazaar/events';
import { id, instant, money } from './primitives';

/** Orders; keyed by order id. */
export const ORDERS_TOPIC = 'bazaar.orders';

const orderLine = z.object({ listingId: id, quantity: z.number().int().min(1) });

/**
 * A line once the catalog priced it. `sellerId` and `unitPrice` were added after version 1 shipped
 * (optional, so events already published still read): seller feedback and seller payouts need them.
 */
const pricedLine = z.object({
  listingId: id,
  bookId: id,
  quantity: z.number().int().min(1),
  sellerId: id.optional(),
  unitPrice: money.optional(),
});

/** An order reached its buyer. Reviews marks the buyer's reviews of its books as verified purchases. */
export const OrderDelivered = defineEvent({
  type: 'OrderDelivered',
  version: 1,
  topic: ORDERS_TOPIC,
  data: z.object({
    orderId: id,
    buyerId: id,
    deliveredAt: instant,
    lines: z.array(pricedLine).min(1),
  }),
});

/** An order was paid (lines shaped as in OrderDelivered): the cart drops the bought quantities. */
export const OrderPaid = defineEvent({
  type: 'OrderPaid',
  version: 1,
  topic: ORDERS_TOPIC,
  data: z.object({
    orderId: id,
    buyerId: id,
    paidAt: instant,
    lines: z.array(pricedLine).min(1),
    /** The authorised payment orders accepted: payments captures exactly this one. */
    paymentId: id.optional(),
  }),
});

/** A buyer placed an order (PENDING): books reserves every line or none. Keyed by order id. */
export const OrderPlaced = defineEvent({
  type: 'OrderPlaced',
  version: 1,
  topic: ORDERS_TOPIC,
  data: z.object({ orderId: id, buyerId: id, lines: z.array(orderLine).min(1), placedAt: instant, expiresAt: instant }),
});

/** The order's stock is reserved and its total known: payments may charge this amount until expiresAt. */
export const OrderAwaitingPayment = defineEvent({
  type: 'OrderAwaitingPayment',
  version: 1,
  topic: ORDERS_TOPIC,
  data: z.object({ orderId: id, buyerId: id, total: money, expiresAt: instant }),
});

/**
 * The order ended without being (or staying) paid: books releases its reservation (or restocks what
 * was committed), payments refunds whatever was captured for it.
 */
export const OrderCancelled = defineEvent({
  type: 'OrderCancelled',
  version: 1,
  topic: ORDERS_TOPIC,
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
  topic: ORDERS_TOPIC,
  data: z.object({ orderId: id, paymentId: id, reason: z.string(), rejectedAt: instant }),
});
