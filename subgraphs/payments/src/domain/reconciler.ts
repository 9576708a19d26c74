import type { RelayLogger } from '@bazaar/events';
import { startPeriodic } from '@bazaar/service';
import type { ServiceMetrics } from '@bazaar/telemetry';
import type { PrismaClient } from '../generated/prisma/client';
import type { Payments } from './payments';
import { lockPayment, type Settlement } from './settlement';

export interface ReconcileReport {
  /** Stuck PENDING attempts settled from the provider's records. */
  settled: number;
  /** Authorizations voided and captures refunded for orders that are not payable. */
  released: number;
  /** Captured payments of an order paid by another payment, refunded. */
  duplicatesRefunded: number;
}

/**
 * Puts right what events and requests left behind, every interval:
 * - a payment stuck PENDING past its lease (its request died after, or before, the provider
 *   call): the provider is asked what it did under the payment's key, and that is recorded;
 * - money held (authorised or captured) for an order payments knows is cancelled: voided or refunded;
 * - a captured payment of an order that orders made paid with another payment: refunded.
 * Each payment is handled in its own transaction with its row locked (SKIP LOCKED: the consumer or
 * a request working on it goes first; the next round looks again).
 */
export class Reconciler {
  constructor(
    private readonly db: PrismaClient,
    private readonly payments: Payments,
    private readonly settlement: Settlement,
    private readonly options: { leaseMs: number },
  ) {}

  async reconcileOnce(): Promise<ReconcileReport> {
    const report: ReconcileReport = { settled: 0, released: 0, duplicatesRefunded: 0 };
    const seconds = this.options.leaseMs / 1000;
    const stuck = await this.db.$queryRaw<{ id: string }[]>`
      SELECT id FROM payments WHERE status = 'PENDING' AND updated_at < now() - make_interval(secs => ${seconds}::float8) ORDER BY id LIMIT 100`;
    for (const { id } of stuck) if (await this.payments.resolveAbandoned(id)) report.settled++;

    const notPayable = await this.db.$queryRaw<{ id: string }[]>`
      SELECT p.id FROM payments p JOIN payable_orders o ON o.id = p.order_id
      WHERE o.status = 'CANCELLED' AND p.status IN ('AUTHORIZED', 'SUCCEEDED', 'PARTIALLY_REFUNDED') ORDER BY p.id LIMIT 100`;
    for (const { id } of notPayable) {
      if (await this.releaseOne(id, 'reconcile', 'The order is no longer payable.')) report.released++;
    }

    const duplicates = await this.db.$queryRaw<{ id: string }[]>`
      SELECT p.id FROM payments p JOIN payable_orders o ON o.id = p.order_id
      WHERE o.status = 'PAID' AND o.paid_payment_id IS NOT NULL AND p.id::text <> o.paid_payment_id
        AND p.status IN ('AUTHORIZED', 'SUCCEEDED', 'PARTIALLY_REFUNDED') ORDER BY p.id LIMIT 100`;
    for (const { id } of duplicates) {
      if (await this.releaseOne(id, 'duplicate', 'The order was paid by another payment.')) report.duplicatesRefunded++;
    }
    return report;
  }

  private async releaseOne(paymentId: string, cause: string, reason: string): Promise<boolean> {
    return this.db.$transaction(async (tx) => {
      const [free] = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM payments WHERE id = ${paymentId}::uuid FOR UPDATE SKIP LOCKED`;
      if (!free) return false;
      const payment = await lockPayment(tx, paymentId);
      return payment ? (await this.settlement.release(tx, payment, cause, reason)) !== 'nothing' : false;
    });
  }
}

/** Runs the reconciler every `intervalMs`, one round at a time; stop() waits for the running one. */
export function startReconciler(reconciler: Reconciler, options: { intervalMs: number; logger: RelayLogger; metrics?: ServiceMetrics }) {
  return startPeriodic(
    async () => {
      const report = await reconciler.reconcileOnce();
      for (const [finding, count] of Object.entries(report)) options.metrics?.reconcilerFound(finding, count);
      if (report.settled + report.released + report.duplicatesRefunded > 0) options.logger.warn(report, 'payments reconciled');
    },
    { intervalMs: options.intervalMs, onError: (error) => options.logger.error({ err: error }, 'payments reconciliation failed') },
  );
}
