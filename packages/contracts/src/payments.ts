/**
 * The events the payments subgraph publishes: owned by payments (subgraphs/payments), which alone
 * changes them; orders follows them in the checkout saga (docs/checkout.md). A change a consumer cannot read is a new version, never an edit
 * (docs/events.md).
 */
import { z } from 'zod';
import { defineEvent } from '@bazaar/events';
import { id, instant, money } from './primitives';

/** Payments; keyed by order id. */
export const PAYMENTS_TOPIC = 'bazaar.payments';

/**
 * The buyer's card holds the order's total (nothing taken yet). Orders accepts it for an order still
 * awaiting payment (OrderPaid with this paymentId, then payments captures) or rejects it
 * (OrderPaymentRejected, then payments voids). Keyed by order id.
 */
export const PaymentAuthorized = defineEvent({
  type: 'PaymentAuthorized',
  version: 1,
  topic: PAYMENTS_TOPIC,
  data: z.object({ paymentId: id, orderId: id, amount: money, authorizedAt: instant }),
});

/** A payment for an order was captured. Keyed by order id. */
export const PaymentSucceeded = defineEvent({
  type: 'PaymentSucceeded',
  version: 1,
  topic: PAYMENTS_TOPIC,
  data: z.object({ paymentId: id, orderId: id, amount: money, paidAt: instant }),
});

/** A payment attempt for an order failed; the order stays payable with another attempt. */
export const PaymentFailed = defineEvent({
  type: 'PaymentFailed',
  version: 1,
  topic: PAYMENTS_TOPIC,
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
  topic: PAYMENTS_TOPIC,
  data: z.object({ paymentId: id, orderId: id, refundId: id, amount: money, full: z.boolean(), reason: z.string(), refundedAt: instant }),
});

/**
 * A seller's available balance was paid out (a payout run): `reference` is what the transfer
 * carries. Keyed by seller id. For a future notifications service; nobody consumes it yet.
 */
export const PayoutSent = defineEvent({
  type: 'PayoutSent',
  version: 1,
  topic: PAYMENTS_TOPIC,
  data: z.object({ payoutId: id, sellerId: id, amount: money, reference: z.string(), paidAt: instant }),
});
