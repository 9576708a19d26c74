import { TOPICS, type Topic } from './topics';

/**
 * Which consumer group (one per consuming service) reads which topics. Kafka keeps every message
 * for groups that appear later; the Postgres transport keeps a group's messages only once the group
 * exists. So every service registers all groups here at start-up, before its relay publishes, and
 * no event is lost to a consumer that has not started yet. A service that starts consuming adds
 * its entry here.
 */
export const CONSUMER_GROUPS: Readonly<Record<string, readonly Topic[]>> = {
  reviews: [TOPICS.catalog, TOPICS.orders],
  cart: [TOPICS.catalog, TOPICS.inventory, TOPICS.orders],
  wishlist: [TOPICS.catalog, TOPICS.inventory],
  // The checkout saga (docs/checkout.md).
  books: [TOPICS.orders],
  orders: [TOPICS.inventory, TOPICS.payments],
  payments: [TOPICS.orders],
};
