import { afterCommit } from '@bazaar/service';

/** One waiter's view of a payment: woken by a move, or by its own timer for a look. */
export interface OutcomeWatch {
  /** Resolves after `ms`, or at once when the payment moved since the last call (or the watch began). */
  next(ms: number): Promise<void>;
  close(): void;
}

/**
 * payOrder's requests in this process that wait for orders' decision on a payment, woken when a
 * transaction of this process that moved the payment (captured or voided it) commits. Before, the
 * wait looked at the payment at 20, 60, 140 … ms: on a busy machine the decision came between two
 * looks, and the buyer waited for the next one (three looks per checkout, the buyer idle 40–80 ms).
 * A payment moved by another replica wakes nobody here: the waiter's own looks find it.
 */
export class OutcomeWaits {
  private readonly watches = new Map<string, Set<() => void>>();

  /** The running transaction moves the payment: wakes its waiters once that commits. */
  moved(paymentId: string): void {
    afterCommit(() => {
      for (const wake of this.watches.get(paymentId) ?? []) wake();
    });
  }

  /** Begins watching (before the first look, so a move during a look is not missed). */
  watch(paymentId: string): OutcomeWatch {
    let moved = false;
    let wakeWaiter: (() => void) | undefined;
    const wake = () => {
      moved = true;
      wakeWaiter?.();
    };
    const watches = this.watches.get(paymentId) ?? new Set();
    watches.add(wake);
    this.watches.set(paymentId, watches);
    return {
      next: (ms) =>
        new Promise<void>((resolve) => {
          if (moved) {
            moved = false;
            resolve();
            return;
          }
          const timer = setTimeout(done, ms);
          function done(): void {
            clearTimeout(timer);
            wakeWaiter = undefined;
            moved = false;
            resolve();
          }
          wakeWaiter = done;
        }),
      close: () => {
        watches.delete(wake);
        if (watches.size === 0 && this.watches.get(paymentId) === watches) this.watches.delete(paymentId);
      },
    };
  }
}
