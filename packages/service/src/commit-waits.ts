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
/** A waiter's fallback looks, for a move made by another replica: the first after 100 ms, then every 200 ms. */
const FIRST_LOOK_MS = 100;
const LOOK_EVERY_MS = 200;

export interface UntilOptions<T> {
  /** How long to wait at most; then the last look's value is the answer. */
  waitMs: number;
  /** Looks at the thing (e.g. reads its status). */
  look: () => Promise<T>;
  settled: (value: T) => boolean;
  /** The thing as the caller just saw it; without it, the first look comes at once (already watching). */
  seen?: { value: T };
}

export class CommitWaits {
  private readonly watches = new Map<string, Set<() => void>>();

  /**
   * Looks at `id` until `settled` says so or `waitMs` passed: at once after a move committed in
   * this process, otherwise at the fallback looks.
   */
  async until<T>(id: string, { waitMs, look, settled, seen }: UntilOptions<T>): Promise<T> {
    if (seen && settled(seen.value)) return seen.value;
    const deadline = Date.now() + waitMs;
    // Watching before the first look: a move committed during it ends the first wait at once.
    const watch = this.watch(id);
    try {
      let value = seen ? seen.value : await look();
      for (let pause = FIRST_LOOK_MS; !settled(value) && Date.now() < deadline; pause = LOOK_EVERY_MS) {
        await watch.next(Math.max(0, Math.min(pause, deadline - Date.now())));
        value = await look();
      }
      return value;
    } finally {
      watch.close();
    }
  }

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
