import { describe, expect, it } from 'vitest';
import { canTransition, IllegalTransition, note, ORDER_STATUSES, shippingStatus, transition, TRANSITIONS } from '../src/domain/order-state';

/** The order state machine: the one table every status change is checked against. */
describe('order state machine', () => {
  it.each([
    ['PENDING', 'AWAITING_PAYMENT'],
    ['PENDING', 'REJECTED'],
    ['PENDING', 'CANCELLED'],
    ['PENDING', 'EXPIRED'],
    ['AWAITING_PAYMENT', 'PAID'],
    ['AWAITING_PAYMENT', 'CANCELLED'],
    ['AWAITING_PAYMENT', 'EXPIRED'],
    ['PAID', 'PARTIALLY_SHIPPED'],
    ['PAID', 'SHIPPED'],
    ['PAID', 'CANCELLED'],
    ['PARTIALLY_SHIPPED', 'SHIPPED'],
    ['SHIPPED', 'DELIVERED'],
    ['CANCELLED', 'REFUNDED'],
  ] as const)('allows %s → %s and returns the history entry', (from, to) => {
    const at = new Date('2026-11-25T10:00:00.000Z');
    expect(transition(from, to, { at, reason: 'because' })).toEqual({ status: to, at, reason: 'because' });
  });

  it.each([
    ['PENDING', 'PAID'],
    ['AWAITING_PAYMENT', 'AWAITING_PAYMENT'],
    ['EXPIRED', 'PAID'],
    ['CANCELLED', 'PAID'],
    ['EXPIRED', 'REFUNDED'],
    ['REJECTED', 'AWAITING_PAYMENT'],
    ['PARTIALLY_SHIPPED', 'CANCELLED'],
    ['SHIPPED', 'CANCELLED'],
    ['DELIVERED', 'CANCELLED'],
    ['REFUNDED', 'CANCELLED'],
    ['PAID', 'DELIVERED'],
  ] as const)('refuses %s → %s with a BAD_USER_INPUT domain error', (from, to) => {
    expect(() => transition(from, to)).toThrow(IllegalTransition);
    try {
      transition(from, to);
    } catch (error) {
      expect(error).toMatchObject({ code: 'BAD_USER_INPUT', from, to, message: `An order cannot go from ${from} to ${to}.` });
    }
  });

  it('never lets a terminal status move, and never makes an expired or cancelled order paid', () => {
    for (const terminal of ['DELIVERED', 'REJECTED', 'EXPIRED', 'REFUNDED'] as const) {
      expect(TRANSITIONS[terminal]).toEqual([]);
    }
    for (const from of ORDER_STATUSES) expect(canTransition(from, 'PAID')).toBe(from === 'AWAITING_PAYMENT');
  });

  it('refuses unknown statuses', () => {
    expect(() => transition('LOST', 'PAID')).toThrow(/unknown order status/);
    expect(() => note('LOST', 'x')).toThrow(/unknown order status/);
  });

  it('derives the shipping status from the fulfilments', () => {
    expect(shippingStatus([{ status: 'PENDING' }, { status: 'PENDING' }])).toBe('PAID');
    expect(shippingStatus([{ status: 'SHIPPED' }, { status: 'PENDING' }])).toBe('PARTIALLY_SHIPPED');
    expect(shippingStatus([{ status: 'SHIPPED' }, { status: 'SHIPPED' }])).toBe('SHIPPED');
  });
});
