import type { Subscription } from '../transport';

/** The live subscriptions of one transport, so closing it stops each of them once. */
export function subscriptionRegistry() {
  const live = new Set<Subscription>();
  return {
    track(subscription: Subscription): Subscription {
      const tracked: Subscription = {
        async stop() {
          live.delete(tracked);
          await subscription.stop();
        },
        joined: () => subscription.joined?.() ?? true,
      };
      live.add(tracked);
      return tracked;
    },
    async stopAll(): Promise<void> {
      await Promise.allSettled([...live].map((subscription) => subscription.stop()));
    },
  };
}
