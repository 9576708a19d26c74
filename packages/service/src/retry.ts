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
