import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';

/**
 * Runs `attempt` now and then every `intervalMs` until `forMs` have passed or `stop()` is called.
 * For idempotent start-up work that depends on something arriving later (e.g. demo data waiting for
 * a projection to fill from events).
 */
export function retryForAWhile(options: { intervalMs?: number; forMs?: number } = {}) {
  const intervalMs = options.intervalMs ?? 10_000;
  const forMs = options.forMs ?? 120_000;
  let timer: NodeJS.Timeout | undefined;
  return {
    start(attempt: () => Promise<void>, onError: (error: unknown) => void) {
      const deadline = Date.now() + forMs;
      // Never two attempts at once: a slow attempt overlapping the next would race it.
      let running = false;
      const run = () => {
        if (running) return;
        running = true;
        void attempt()
          .catch(onError)
          .finally(() => (running = false));
      };
      run();
      timer = setInterval(() => {
        if (Date.now() > deadline) clearInterval(timer);
        else run();
      }, intervalMs);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
    },
  };
}

/**
 * Runs `work` every `intervalMs` (after the previous round ended), one round at a time, for
 * background jobs such as sweepers and reconcilers. A failed round is reported and the next one
 * runs as usual. stop() waits for the running round.
 */
export function startPeriodic(work: () => Promise<void>, options: { intervalMs: number; onError(error: unknown): void }) {
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    running = work()
      .catch(options.onError)
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, options.intervalMs).unref();
      });
  };
  timer = setTimeout(tick, options.intervalMs).unref();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

export interface RetryOptions {
  /** Whether a failure is worth another attempt (checked after each one, e.g. "transient, and not closing"). */
  retryIf(error: unknown): boolean;
  /** Attempts in all, the first included (default: no limit, see `deadline`). */
  maxAttempts?: number;
  /** No further attempt starts after this time (epoch ms). */
  deadline?: number;
  /** First pause; later ones grow exponentially, with decorrelated jitter, up to `maxDelayMs`. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Called before each pause with the failure, e.g. to log it. */
  onRetry?(error: unknown, attempt: number): void;
}

/**
 * Runs `work` until it succeeds, retrying the failures `retryIf` accepts with exponential backoff
 * (cockatiel) while attempts and time remain; the last failure is thrown as is.
 */
export async function retrying<T>(work: () => Promise<T>, options: RetryOptions): Promise<T> {
  const handler = handleWhen((error) => options.retryIf(error) && (options.deadline === undefined || Date.now() < options.deadline));
  const policy = retry(handler, {
    maxAttempts: options.maxAttempts === undefined ? Number.POSITIVE_INFINITY : options.maxAttempts - 1,
    backoff: new ExponentialBackoff({ initialDelay: options.initialDelayMs ?? 100, maxDelay: options.maxDelayMs ?? 2_000 }),
  });
  policy.onRetry((event) => {
    if ('error' in event) options.onRetry?.(event.error, event.attempt);
  });
  return policy.execute(() => work());
}
