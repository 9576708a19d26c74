import { type EventConsumer } from '@bazaar/events';
import { OrderAwaitingPayment, OrderCancelled, OrderDelivered, OrderPaid, OrderPaymentRejected } from '@bazaar/contracts/orders';
import type { RawSql } from '@bazaar/service';
import type { Payment } from '../generated/prisma/client';
import type { SellerEarnings } from './earnings';
import { HOLDING_MONEY, lockPayment, readPayment, type Settlement } from './settlement';

type Tx = RawSql;

/**
 * The orders topic, as payments reads it (group `payments`):
 * - OrderAwaitingPayment: the order becomes payable by its buyer, for its total, until expiresAt.
 * - OrderPaid (with the accepted paymentId): no longer payable; that payment's authorization is captured.
 * - OrderPaymentRejected: the payment's authorization is voided (nothing is ever captured for it).
 * - OrderCancelled: no longer payable; an authorization is voided, a captured payment refunded in
 *   full (idempotent by a key derived from the event id), each with its event. A duplicate event,
 *   or a second cancellation, finds nothing held any more.
 * The sellers' ledger follows the same events (docs/payouts.md): OrderPaid credits each seller's
 * part, OrderDelivered starts the holding period, OrderCancelled after payment reverses the credit.
 * One order's events come in order (keyed by order id), so a payment accepted and then cancelled is
 * captured (and credited) before it is refunded (and reversed); redeliveries are dropped by the consumer.
 */
export function registerPaymentHandlers(consumer: EventConsumer<Tx>, settlement: Settlement, earnings: SellerEarnings): EventConsumer<Tx> {
  return consumer
    .on(OrderAwaitingPayment, async ({ data }, tx) => {
      await tx.$executeRaw`
        INSERT INTO payable_orders (id, buyer_id, amount, currency, expires_at, status, updated_at)
        VALUES (${data.orderId}, ${data.buyerId}, ${data.total.amount}, ${data.total.currency}, ${new Date(data.expiresAt)}, 'AWAITING_PAYMENT', now())
        ON CONFLICT (id) DO UPDATE SET buyer_id = EXCLUDED.buyer_id, amount = EXCLUDED.amount, currency = EXCLUDED.currency,
          expires_at = EXCLUDED.expires_at, updated_at = now()
        WHERE payable_orders.status = 'AWAITING_PAYMENT'`;
    })
    .on(OrderPaid, async ({ data }, tx) => {
      await tx.$executeRaw`UPDATE payable_orders SET status = 'PAID', paid_payment_id = ${data.paymentId ?? null}, updated_at = now() WHERE id = ${data.orderId} AND status = 'AWAITING_PAYMENT'`;
      // Without a paymentId the order was paid before payments authorised first (older events): nothing to capture.
      const payment = data.paymentId ? await lockPayment(tx, data.paymentId) : null;
      if (payment) await settlement.capture(tx, payment);
      await earnings.credit(tx, { orderId: data.orderId, paidAt: new Date(data.paidAt), lines: data.lines });
    })
    .on(OrderDelivered, async ({ data }, tx) => {
      await earnings.delivered(tx, data.orderId, new Date(data.deliveredAt));
    })
    .on(OrderPaymentRejected, async ({ id: eventId, data }, tx) => {
      const payment = await lockPayment(tx, data.paymentId);
      if (payment) await settlement.release(tx, payment, eventId, `The order did not accept the payment: ${data.reason}`);
    })
    .on(OrderCancelled, async ({ id: eventId, data }, tx) => {
      await tx.$executeRaw`UPDATE payable_orders SET status = 'CANCELLED', updated_at = now() WHERE id = ${data.orderId}`;
      const holding = await tx.$queryRaw<Pick<Payment, 'id'>[]>`
        SELECT id FROM payments WHERE order_id = ${data.orderId} AND status = ANY(${HOLDING_MONEY}) ORDER BY id FOR UPDATE`;
      for (const { id } of holding) {
        const payment = await readPayment(tx, id);
        await settlement.release(tx, payment, eventId, `Order ${data.outcome.toLowerCase()}: ${data.reason}`);
      }
      await earnings.reverse(tx, data.orderId, data.reason, new Date(data.cancelledAt));
    });
}
