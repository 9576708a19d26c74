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
