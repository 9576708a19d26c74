import type { RelayLogger } from '@bazaar/events';
import type { Orders } from './orders';

/**
 * Expires unpaid orders every `intervalMs` (see Orders.expireDue; SKIP LOCKED lets several
 * instances sweep side by side). One sweep at a time; stop() waits for the running one.
 */
export function startExpirySweep(orders: Orders, options: { intervalMs: number; logger: RelayLogger }) {
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    running = (async () => {
      try {
        let expired: number;
        do {
          expired = await orders.expireDue();
          if (expired > 0) options.logger.info({ expired }, 'unpaid orders expired');
        } while (expired > 0 && !stopped);
      } catch (error) {
        options.logger.error({ err: error }, 'expiry sweep failed');
      }
    })().finally(() => {
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
