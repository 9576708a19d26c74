/*
 * Books' side of the checkout saga (docs/checkout.md): the inventory reacts to the orders topic.
 * Each handler runs inside the consumer's transaction (processed_events row + effect + outbox rows),
 * so an event's effect and the events it causes commit together, once.
 *
 * - OrderPlaced    → reserve every line or none (reservation id = order id) and answer StockReserved
 *                    (the catalog's prices and the total) or StockRejected (a reason per offending
 *                    line). A rejection is a normal outcome, committed like a success.
 * - OrderPaid      → commit the reservation.
 * - OrderCancelled → put the copies back: release a reservation still RESERVED, restock a COMMITTED
 *                    one (whatever `stockCommitted` says, books' own record decides).
 *
 * Concurrency comes from inventory.ts's row locks, not from the transport: members of the group
 * (several books instances) handle different orders at the same time.
 */
import { conflict, type RawSql } from '@bazaar/service';
import { type EventConsumer, type Outbox, type RelayLogger } from '@bazaar/events';
import { StockRejected, StockReserved } from '@bazaar/contracts/books';
import { OrderCancelled, OrderPaid, OrderPlaced } from '@bazaar/contracts/orders';
import { commitReservation, findReservationForUpdate, reserveStock, restockReservation, StockUnavailableError, type Reservation } from './inventory';

type Tx = RawSql;

export function registerSagaHandlers(consumer: EventConsumer<Tx>, outbox: Outbox, logger: RelayLogger): EventConsumer<Tx> {
  return consumer
    .on(OrderPlaced, async ({ data }, tx) => {
      let reservation: Reservation;
      try {
        reservation = await reserveStock(tx, outbox, {
          reservationId: data.orderId,
          lines: data.lines,
          buyerId: data.buyerId,
          expiresAt: new Date(data.expiresAt),
        });
      } catch (error) {
        if (!(error instanceof StockUnavailableError)) throw error;
        await outbox.add(tx, {
          definition: StockRejected,
          key: data.orderId,
          data: { orderId: data.orderId, reasons: error.lines.map(({ listingId, reason, available }) => ({ listingId, reason, available })) },
        });
        return;
      }
      if (reservation.status === 'RELEASED') {
        // The same order placed again after it was cancelled: its copies went back; do not answer.
        logger.warn({ orderId: data.orderId }, 'OrderPlaced for an order whose reservation was already released; ignored');
        return;
      }
      // A new reservation, or the one an earlier OrderPlaced of this order made: the same answer.
      await outbox.add(tx, { definition: StockReserved, key: data.orderId, data: stockReserved(data.orderId, reservation) });
    })
    .on(OrderPaid, async ({ data }, tx) => {
      const reservation = await findReservationForUpdate(tx, data.orderId);
      // Retrying cannot help; the event is parked in dead_letter_events for someone to look at.
      if (!reservation) throw conflict('An order was paid for which books reserved nothing.', { orderId: data.orderId });
      await commitReservation(tx, data.orderId); // CONFLICT (parked) when it was released
    })
    .on(OrderCancelled, async ({ data }, tx) => {
      const reservation = await findReservationForUpdate(tx, data.orderId);
      if (!reservation) return; // rejected order: nothing was reserved
      if ((reservation.status === 'COMMITTED') !== data.stockCommitted && reservation.status !== 'RELEASED') {
        logger.warn(
          { orderId: data.orderId, stockCommitted: data.stockCommitted, reservation: reservation.status },
          'OrderCancelled disagrees with the reservation; putting its copies back as books recorded them',
        );
      }
      await restockReservation(tx, outbox, data.orderId);
    });
}

function stockReserved(orderId: string, reservation: Reservation) {
  const lines = reservation.lines.map(({ listingId, bookId, sellerId, quantity, unitPrice }) => ({ listingId, bookId, sellerId, quantity, unitPrice }));
  const amount = lines.reduce((sum, { quantity, unitPrice }) => sum + quantity * unitPrice.amount, 0);
  return { orderId, reservationId: reservation.id, lines, total: { amount, currency: lines[0]!.unitPrice.currency } };
}
