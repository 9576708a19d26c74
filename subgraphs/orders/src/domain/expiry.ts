import type { RelayLogger } from '@bazaar/events';
import { startPeriodic } from '@bazaar/service';
import type { Orders } from './orders';

/**
 * Expires unpaid orders every `intervalMs` (see Orders.expireDue; SKIP LOCKED lets several
 * instances sweep side by side). One sweep at a time; stop() waits for the running one.
 */
export function startExpirySweep(orders: Orders, options: { intervalMs: number; logger: RelayLogger }) {
  let stopping = false;
  const sweep = startPeriodic(
    async () => {
      let expired: number;
      do {
        expired = await orders.expireDue();
        if (expired > 0) options.logger.info({ expired }, 'unpaid orders expired');
      } while (expired > 0 && !stopping);
    },
    { intervalMs: options.intervalMs, onError: (error) => options.logger.error({ err: error }, 'expiry sweep failed') },
  );
  return {
    async stop() {
      stopping = true;
      await sweep.stop();
    },
  };
}
