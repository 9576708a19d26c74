import { type EventConsumer, type Outbox, type RelayLogger } from '@bazaar/events';
import { StockRejected, StockReserved } from '@bazaar/contracts/books';
import { OrderAwaitingPayment, OrderCancelled, OrderPaid, OrderPaymentRejected } from '@bazaar/contracts/orders';
import { PaymentAuthorized, PaymentFailed, PaymentRefunded, PaymentSucceeded } from '@bazaar/contracts/payments';
import type { RawSql } from '@bazaar/service';
import { addNote, cancelledLines, changeStatus, lockOrderForSaga, pricedLineOf, type SagaOrder } from './orders';

type Tx = RawSql;

/** Statuses a payment can no longer make paid: a payment arriving then is refunded (docs/checkout.md). */
const NO_LONGER_PAYABLE = ['EXPIRED', 'CANCELLED', 'REJECTED', 'REFUNDED'];

/**
 * The orders side of the checkout saga: books' reservation outcome and payments' results move the
 * order through the state machine, each in the transaction that records the event as processed
 * (so a redelivered event changes nothing). Events an order's status no longer expects are logged
 * and dropped, never applied over a later status.
 */
export function registerSagaHandlers(consumer: EventConsumer<Tx>, outbox: Outbox, logger: RelayLogger): EventConsumer<Tx> {
  const ignore = (orderId: string, type: string, status: string | undefined) =>
    logger.warn({ orderId, type, status: status ?? 'unknown order' }, 'event not applicable to the order; ignored');
  const markPaid = async (tx: Tx, order: SagaOrder, paid: { paymentId: string; paidAt: Date; reason: string; capture: boolean }) => {
    await changeStatus(tx, order, 'PAID', { reason: paid.reason, at: paid.paidAt, data: { paidAt: paid.paidAt, paymentId: paid.paymentId, paymentFailureReason: null } });
    await outbox.add(tx, {
      definition: OrderPaid,
      key: order.id,
      data: {
        orderId: order.id,
        buyerId: order.buyerId,
        paidAt: paid.paidAt.toISOString(),
        ...(paid.capture && { paymentId: paid.paymentId }),
        lines: order.lines.map(pricedLineOf),
      },
    });
  };

  return consumer
    .on(StockReserved, async ({ data }, tx) => {
      const order = await lockOrderForSaga(tx, data.orderId);
      if (order?.status !== 'PENDING') return ignore(data.orderId, 'StockReserved', order?.status);
      const priced = new Map(data.lines.map((line) => [line.listingId, line]));
      if (order.lines.some((line) => priced.get(line.listingId)?.quantity !== line.quantity) || priced.size !== order.lines.length) {
        throw new Error(`StockReserved for order ${order.id} does not match its lines`);
      }
      // Every line priced and every seller's fulfilment opened in one statement.
      const reserved = order.lines.map((line) => ({ id: line.id, ...priced.get(line.listingId)! }));
      const sellers = [...new Set(data.lines.map(({ sellerId }) => sellerId))];
      await tx.$executeRaw`
        WITH priced AS (
          UPDATE order_lines l SET book_id = r.book_id, seller_id = r.seller_id, unit_amount = r.unit_amount, currency = r.currency
            FROM unnest(${reserved.map((r) => r.id)}::uuid[], ${reserved.map((r) => r.bookId)}::text[], ${reserved.map((r) => r.sellerId)}::text[],
                        ${reserved.map((r) => r.unitPrice.amount)}::int[], ${reserved.map((r) => r.unitPrice.currency)}::text[])
                 AS r(id, book_id, seller_id, unit_amount, currency)
           WHERE l.id = r.id)
        INSERT INTO fulfilments (id, order_id, seller_id)
        SELECT uuidv7(), ${order.id}::uuid, seller_id FROM unnest(${sellers}::text[]) AS seller_id
        ON CONFLICT (order_id, seller_id) DO NOTHING`;
      await changeStatus(tx, order, 'AWAITING_PAYMENT', {
        data: { totalAmount: data.total.amount, currency: data.total.currency, reservationId: data.reservationId },
      });
      await outbox.add(tx, {
        definition: OrderAwaitingPayment,
        key: order.id,
        data: { orderId: order.id, buyerId: order.buyerId, total: data.total, expiresAt: order.expiresAt.toISOString() },
      });
    })
    .on(StockRejected, async ({ data }, tx) => {
      const order = await lockOrderForSaga(tx, data.orderId);
      if (order?.status !== 'PENDING') return ignore(data.orderId, 'StockRejected', order?.status);
      const summary = data.reasons.map(({ listingId, reason }) => `${listingId}: ${reason}`).join(', ');
      await changeStatus(tx, order, 'REJECTED', { reason: `Stock could not be reserved (${summary}).`, data: { rejectionReasons: data.reasons } });
    })
    .on(PaymentAuthorized, async ({ data }, tx) => {
      // The one place that decides whether money is taken: under the order's lock, so a concurrent
      // cancel or expiry either comes first (the authorization is rejected, then voided) or after
      // (the order is PAID, captured, then refunded by the cancellation).
      const order = await lockOrderForSaga(tx, data.orderId);
      const reject = async (reason: string) => {
        await outbox.add(tx, { definition: OrderPaymentRejected, key: data.orderId, data: { orderId: data.orderId, paymentId: data.paymentId, reason, rejectedAt: new Date().toISOString() } });
        if (order) await addNote(tx, order, `Payment ${data.paymentId} not accepted: ${reason}`);
      };
      if (!order) return reject('There is no such order.');
      if (order.status === 'PAID' && order.paymentId === data.paymentId) return; // accepted before
      if (order.status === 'AWAITING_PAYMENT' && order.expiresAt.getTime() <= Date.now()) {
        const reason = 'Not paid in time.';
        const at = new Date();
        await changeStatus(tx, order, 'EXPIRED', { reason, at, data: { cancelledAt: at, cancellationReason: reason } });
        await outbox.add(tx, {
          definition: OrderCancelled,
          key: order.id,
          data: { orderId: order.id, buyerId: order.buyerId, outcome: 'EXPIRED', reason, stockCommitted: false, lines: cancelledLines(order), cancelledAt: at.toISOString() },
        });
      }
      if (order.status !== 'AWAITING_PAYMENT') return reject(`The order is ${order.status.toLowerCase().replaceAll('_', ' ')}.`);
      if (BigInt(data.amount.amount) !== order.totalAmount || data.amount.currency !== order.currency) {
        logger.error({ orderId: order.id, paymentId: data.paymentId, amount: data.amount }, 'authorised amount does not match the order total');
        return reject(`The authorised ${data.amount.amount} ${data.amount.currency} does not match the order's total of ${order.totalAmount} ${order.currency}.`);
      }
      // OrderPaid names the payment: payments captures it only on hearing this.
      await markPaid(tx, order, { paymentId: data.paymentId, paidAt: new Date(), reason: `Payment ${data.paymentId} accepted.`, capture: true });
    })
    .on(PaymentSucceeded, async ({ data }, tx) => {
      const order = await lockOrderForSaga(tx, data.orderId);
      if (!order) return ignore(data.orderId, 'PaymentSucceeded', undefined);
      const paidAt = new Date(data.paidAt);
      if (order.status === 'AWAITING_PAYMENT' && paidAt > order.expiresAt) {
        // Captured after the order's expiry, before the sweep got to it: it expires now, and the payment is late.
        const reason = 'Not paid in time.';
        await changeStatus(tx, order, 'EXPIRED', { reason, data: { cancelledAt: new Date(), cancellationReason: reason } });
        await outbox.add(tx, {
          definition: OrderCancelled,
          key: order.id,
          data: { orderId: order.id, buyerId: order.buyerId, outcome: 'EXPIRED', reason, stockCommitted: false, lines: cancelledLines(order), cancelledAt: new Date().toISOString() },
        });
      }
      if (order.status === 'AWAITING_PAYMENT' && (BigInt(data.amount.amount) !== order.totalAmount || data.amount.currency !== order.currency)) {
        // Payments charges the total it was told, so this is a bug somewhere: never call a wrong amount paid.
        const reason = `Payment ${data.paymentId} of ${data.amount.amount} ${data.amount.currency} does not match the order's total of ${order.totalAmount} ${order.currency}; the order is cancelled and the payment refunded.`;
        logger.error({ orderId: order.id, paymentId: data.paymentId, amount: data.amount }, 'payment amount does not match the order total');
        await changeStatus(tx, order, 'CANCELLED', { reason, data: { cancelledAt: new Date(), cancellationReason: reason } });
        await outbox.add(tx, {
          definition: OrderCancelled,
          key: order.id,
          data: { orderId: order.id, buyerId: order.buyerId, outcome: 'REFUNDED', reason, stockCommitted: false, lines: cancelledLines(order), cancelledAt: new Date().toISOString() },
        });
        return;
      }
      if (order.status === 'AWAITING_PAYMENT') {
        // Captured already (before authorise-then-capture): OrderPaid must not ask for another capture.
        await markPaid(tx, order, { paymentId: data.paymentId, paidAt, reason: `Payment ${data.paymentId} captured.`, capture: false });
        return;
      }
      // The payment that made this order paid, seen again under another event id: nothing to do.
      if (order.paymentId === data.paymentId) return;
      if (!NO_LONGER_PAYABLE.includes(order.status)) return ignore(data.orderId, 'PaymentSucceeded', order.status);
      // Too late: the order is never made paid; payments refunds the charge, books has nothing to restock.
      const reason = `Payment ${data.paymentId} arrived after the order was ${order.status}; it is refunded.`;
      await addNote(tx, order, reason);
      await outbox.add(tx, {
        definition: OrderCancelled,
        key: order.id,
        data: { orderId: order.id, buyerId: order.buyerId, outcome: 'REFUNDED', reason, stockCommitted: false, lines: cancelledLines(order), cancelledAt: new Date().toISOString() },
      });
    })
    .on(PaymentFailed, async ({ data }, tx) => {
      const order = await lockOrderForSaga(tx, data.orderId);
      if (order?.status !== 'AWAITING_PAYMENT') return ignore(data.orderId, 'PaymentFailed', order?.status);
      await tx.$executeRaw`UPDATE orders SET payment_failure_reason = ${data.reason}, updated_at = now() WHERE id = ${order.id}::uuid`;
    })
    .on(PaymentRefunded, async ({ data }, tx) => {
      const order = await lockOrderForSaga(tx, data.orderId);
      if (!order) return ignore(data.orderId, 'PaymentRefunded', undefined);
      if (order.status === 'CANCELLED' && order.paymentId === data.paymentId && data.full) {
        await changeStatus(tx, order, 'REFUNDED', { reason: `Refund ${data.refundId} of payment ${data.paymentId}.` });
      } else if (NO_LONGER_PAYABLE.includes(order.status)) {
        await addNote(tx, order, `Refund ${data.refundId} of payment ${data.paymentId} (${data.full ? 'full' : 'partial'}).`);
      } else {
        ignore(data.orderId, 'PaymentRefunded', order.status);
      }
    });
}
