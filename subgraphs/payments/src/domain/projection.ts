import { OrderAwaitingPayment, OrderCancelled, OrderPaid, PaymentRefunded, type EventConsumer, type Outbox } from '@bazaar/events';
import type { Prisma } from '../generated/prisma/client';
import type { PaymentProvider } from './provider';

type Tx = Prisma.TransactionClient;

/** The key the provider de-duplicates a refund by: the cancelling event and the payment. */
export const refundKey = (eventId: string, paymentId: string) => `refund_${eventId}_${paymentId}`;

/**
 * The orders topic, as payments reads it (group `payments`):
 * - OrderAwaitingPayment: the order becomes payable by its buyer, for its total, until expiresAt.
 * - OrderPaid: no longer payable.
 * - OrderCancelled: no longer payable; a captured payment is refunded in full through the provider
 *   (idempotent by a key derived from the event id), recorded as a REFUND transaction, and
 *   PaymentRefunded is published. A duplicate event, or a second cancellation, refunds nothing more.
 * One order's events come in order (keyed by order id); redeliveries are dropped by the consumer.
 */
export function registerPaymentHandlers(consumer: EventConsumer<Tx>, { outbox, provider }: { outbox: Outbox; provider: PaymentProvider }): EventConsumer<Tx> {
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
      await tx.$executeRaw`UPDATE payable_orders SET status = 'PAID', updated_at = now() WHERE id = ${data.orderId} AND status = 'AWAITING_PAYMENT'`;
    })
    .on(OrderCancelled, async ({ id: eventId, data }, tx) => {
      await tx.$executeRaw`UPDATE payable_orders SET status = 'CANCELLED', updated_at = now() WHERE id = ${data.orderId}`;
      const captured = await tx.$queryRaw<{ id: string; amount: number; currency: string; refunded_amount: number; charge_reference: string }[]>`
        SELECT id, amount, currency, refunded_amount, charge_reference FROM payments
        WHERE order_id = ${data.orderId} AND status IN ('SUCCEEDED', 'PARTIALLY_REFUNDED') AND charge_reference IS NOT NULL
        FOR UPDATE`;
      for (const payment of captured) {
        const amount = { amount: payment.amount - payment.refunded_amount, currency: payment.currency };
        const refund = await provider.refund({ idempotencyKey: refundKey(eventId, payment.id), chargeReference: payment.charge_reference, amount });
        const now = new Date();
        await tx.paymentTransaction.create({ data: { paymentId: payment.id, kind: 'REFUND', ...amount, providerReference: refund.refundReference, createdAt: now } });
        await tx.payment.update({ where: { id: payment.id }, data: { status: 'REFUNDED', refundedAmount: payment.amount } });
        await outbox.add(tx, {
          definition: PaymentRefunded,
          key: data.orderId,
          data: {
            paymentId: payment.id,
            orderId: data.orderId,
            refundId: refund.refundReference,
            amount,
            full: true,
            reason: `Order ${data.outcome.toLowerCase()}: ${data.reason}`,
            refundedAt: now.toISOString(),
          },
        });
      }
    });
}
