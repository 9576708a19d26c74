/*
 * The statements on a checkout's path, past Prisma's query interpreter: an order with everything in
 * one statement (Prisma loads an include as four, and every look at an order during checkout is
 * one), and a status change with its history entry in one (Prisma needs two). Prisma's client was
 * a quarter of the orders process's CPU under the checkout benchmark (docs/events.md).
 */
import type { LeanReader } from '@bazaar/service';
import { Prisma } from '../generated/prisma/client';
import type { Fulfilment, OrderLine, OrderStatusChange } from '../generated/prisma/client';
import type { OrderStatus, StatusChange } from './order-state';
import type { OrderRecord } from './types';

/** The order columns a status change may set besides the status. */
export interface StatusData {
  totalAmount?: number | bigint;
  currency?: string;
  reservationId?: string;
  rejectionReasons?: unknown;
  paymentFailureReason?: string | null;
  paymentId?: string;
  paidAt?: Date;
  cancelledAt?: Date;
  cancellationReason?: string;
  deliveredAt?: Date;
}

const STATUS_DATA_COLUMNS: Record<keyof StatusData, string> = {
  totalAmount: 'total_amount',
  currency: 'currency',
  reservationId: 'reservation_id',
  rejectionReasons: 'rejection_reasons',
  paymentFailureReason: 'payment_failure_reason',
  paymentId: 'payment_id',
  paidAt: 'paid_at',
  cancelledAt: 'cancelled_at',
  cancellationReason: 'cancellation_reason',
  deliveredAt: 'delivered_at',
};

/**
 * Moves the order from `from` to the change's status, setting `data`, and appends the history
 * entry, in one statement; returns how many orders changed (0: its status was no longer `from`).
 */
export function changeStatusStatement(orderId: string, from: string, change: StatusChange & { status: OrderStatus }, data: StatusData = {}): Prisma.Sql {
  const sets = Object.entries(data)
    .filter(([, value]) => value !== undefined)
    .map(([field, value]) => {
      const column = Prisma.raw(STATUS_DATA_COLUMNS[field as keyof StatusData]);
      return field === 'rejectionReasons' ? Prisma.sql`${column} = ${JSON.stringify(value)}::jsonb` : Prisma.sql`${column} = ${value}`;
    });
  return Prisma.sql`
    WITH changed AS (
      UPDATE orders SET ${Prisma.join([Prisma.sql`status = ${change.status}`, Prisma.sql`updated_at = now()`, ...sets])}
       WHERE id = ${orderId}::uuid AND status = ${from}
      RETURNING id)
    INSERT INTO order_status_changes (id, order_id, status, at, reason)
    SELECT uuidv7(), id, ${change.status}, ${change.at}, ${change.reason} FROM changed`;
}

interface OrderRow extends Omit<OrderRecord, 'totalAmount' | 'history' | 'fulfilments'> {
  totalAmount: string | null;
  history: (Omit<OrderStatusChange, 'at'> & { at: string })[];
  fulfilments: (Omit<Fulfilment, 'shippedAt' | 'deliveredAt'> & { shippedAt: string | null; deliveredAt: string | null })[];
  lines: OrderLine[];
}

const READ_ORDERS = `
  SELECT o.id, o.buyer_id AS "buyerId", o.status, o.idempotency_key AS "idempotencyKey", o.request_hash AS "requestHash",
         o.shipping_address AS "shippingAddress", o.total_amount AS "totalAmount", o.currency, o.reservation_id AS "reservationId",
         o.rejection_reasons AS "rejectionReasons", o.payment_failure_reason AS "paymentFailureReason", o.payment_id AS "paymentId",
         o.paid_at AS "paidAt", o.cancelled_at AS "cancelledAt", o.cancellation_reason AS "cancellationReason",
         o.delivered_at AS "deliveredAt", o.created_at AS "createdAt", o.updated_at AS "updatedAt", o.expires_at AS "expiresAt",
         COALESCE((SELECT json_agg(json_build_object('id', l.id, 'orderId', l.order_id, 'position', l.position, 'listingId', l.listing_id,
                                                     'quantity', l.quantity, 'bookId', l.book_id, 'sellerId', l.seller_id,
                                                     'unitAmount', l.unit_amount, 'currency', l.currency) ORDER BY l.position)
                     FROM order_lines l WHERE l.order_id = o.id), '[]') AS lines,
         COALESCE((SELECT json_agg(json_build_object('id', h.id, 'orderId', h.order_id, 'status', h.status, 'at', h.at, 'reason', h.reason)
                                   ORDER BY h.at, h.id)
                     FROM order_status_changes h WHERE h.order_id = o.id), '[]') AS history,
         COALESCE((SELECT json_agg(json_build_object('id', f.id, 'orderId', f.order_id, 'sellerId', f.seller_id, 'status', f.status,
                                                     'carrier', f.carrier, 'trackingNumber', f.tracking_number,
                                                     'shippedAt', f.shipped_at, 'deliveredAt', f.delivered_at) ORDER BY f.seller_id)
                     FROM fulfilments f WHERE f.order_id = o.id), '[]') AS fulfilments
    FROM orders o WHERE o.id = ANY($1::uuid[])`;

const dateOrNull = (value: string | null) => (value === null ? null : new Date(value));

/** Orders with their lines, history and fulfilments, in one statement (prepared once per connection). */
export async function readOrders(reader: LeanReader, ids: readonly string[]): Promise<OrderRecord[]> {
  const rows = await reader.rows<OrderRow>({ name: 'orders_with_everything', text: READ_ORDERS, values: [ids] });
  return rows.map((row) => ({
    ...row,
    totalAmount: row.totalAmount === null ? null : BigInt(row.totalAmount),
    history: row.history.map((change) => ({ ...change, at: new Date(change.at) })),
    fulfilments: row.fulfilments.map((fulfilment) => ({ ...fulfilment, shippedAt: dateOrNull(fulfilment.shippedAt), deliveredAt: dateOrNull(fulfilment.deliveredAt) })),
  }));
}
