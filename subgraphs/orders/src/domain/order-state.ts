import { DomainError } from '@bazaar/service';

export const ORDER_STATUSES = [
  'PENDING',
  'AWAITING_PAYMENT',
  'PAID',
  'PARTIALLY_SHIPPED',
  'SHIPPED',
  'DELIVERED',
  'CANCELLED',
  'REJECTED',
  'EXPIRED',
  'REFUNDED',
] as const;

export type OrderStatus = (typeof ORDER_STATUSES)[number];

/**
 * Every transition an order may make; anything else is illegal. See docs/checkout.md.
 * CANCELLED → REFUNDED only happens for an order cancelled after payment (the refund arrived).
 */
export const TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  PENDING: ['AWAITING_PAYMENT', 'REJECTED', 'CANCELLED', 'EXPIRED'],
  AWAITING_PAYMENT: ['PAID', 'CANCELLED', 'EXPIRED'],
  PAID: ['PARTIALLY_SHIPPED', 'SHIPPED', 'CANCELLED'],
  PARTIALLY_SHIPPED: ['SHIPPED'],
  SHIPPED: ['DELIVERED'],
  DELIVERED: [],
  CANCELLED: ['REFUNDED'],
  REJECTED: [],
  EXPIRED: [],
  REFUNDED: [],
};

/** Statuses in which an order is not paid yet and can expire or be cancelled without a refund. */
export const UNPAID: readonly OrderStatus[] = ['PENDING', 'AWAITING_PAYMENT'];

export class IllegalTransition extends DomainError {
  constructor(
    readonly from: OrderStatus,
    readonly to: OrderStatus,
  ) {
    super('BAD_USER_INPUT', `An order cannot go from ${from} to ${to}.`, { status: from });
    this.name = 'IllegalTransition';
  }
}

const isOrderStatus = (value: string): value is OrderStatus => (ORDER_STATUSES as readonly string[]).includes(value);

export const canTransition = (from: OrderStatus, to: OrderStatus) => TRANSITIONS[from].includes(to);

export interface StatusChange {
  status: OrderStatus;
  at: Date;
  reason: string | null;
}

/**
 * The one place an order's status changes: checks the transition against the table (throwing
 * IllegalTransition, never overwriting) and returns the history entry to append with it.
 */
export function transition(from: string, to: OrderStatus, options: { at?: Date; reason?: string | null } = {}): StatusChange {
  if (!isOrderStatus(from)) throw new Error(`unknown order status ${from}`);
  if (!canTransition(from, to)) throw new IllegalTransition(from, to);
  return { status: to, at: options.at ?? new Date(), reason: options.reason ?? null };
}

/** A history entry that records something about the order without changing its status (e.g. a late payment refunded). */
export function note(status: string, reason: string, at = new Date()): StatusChange {
  if (!isOrderStatus(status)) throw new Error(`unknown order status ${status}`);
  return { status, at, reason };
}

/** The status an order's fulfilments give a paid order: SHIPPED when every seller shipped, else PARTIALLY_SHIPPED (or PAID when none did). */
export function shippingStatus(fulfilments: readonly { status: string }[]): OrderStatus {
  const shipped = fulfilments.filter(({ status }) => status !== 'PENDING').length;
  if (shipped === 0) return 'PAID';
  return shipped === fulfilments.length ? 'SHIPPED' : 'PARTIALLY_SHIPPED';
}
