import { afterCommit } from './lean-transactions';

/** One waiter's view of one thing (a payment, an order): woken by a move, or by its own timer for a look. */
export interface CommitWatch {
  /** Resolves after `ms`, or at once when the thing moved since the last call (or the watch began). */
  next(ms: number): Promise<void>;
  close(): void;
}

/**
 * Requests of this process that wait for something to move (payOrder for orders' decision on its
 * payment, placeOrder for the catalog's on its stock), woken when a transaction of this process
 * that moved it commits (see afterCommit). Looking at fixed times instead (payOrder looked at 20,
 * 60, 140 … ms), the decision came between two looks on a busy machine and the buyer waited for
 * the next one. A move made by another replica wakes nobody here: the waiter's own looks find it.
 */
export class CommitWaits {
  private readonly watches = new Map<string, Set<() => void>>();

  /** The running transaction moves `id`: wakes its waiters once that commits. */
  moved(id: string): void {
    afterCommit(() => {
      for (const wake of this.watches.get(id) ?? []) wake();
    });
  }

  /** Begins watching (before the first look, so a move during a look is not missed). */
  watch(id: string): CommitWatch {
    let moved = false;
    let wakeWaiter: (() => void) | undefined;
    const wake = () => {
      moved = true;
      wakeWaiter?.();
    };
    const watches = this.watches.get(id) ?? new Set();
    watches.add(wake);
    this.watches.set(id, watches);
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
        if (watches.size === 0 && this.watches.get(id) === watches) this.watches.delete(id);
      },
    };
  }
}
