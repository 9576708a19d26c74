/**
 * The event contracts of the marketplace, one module per producer (users, books, reviews, orders,
 * payments, wishlist): each is owned by the subgraph that publishes its events. Consumers import
 * the definitions they handle from here; the transport (packages/events) knows none of them.
 */
import { createEventRegistry, type EventDefinition } from '@bazaar/events';
import * as books from './books';
import * as orders from './orders';
import * as payments from './payments';
import * as reviews from './reviews';
import * as users from './users';
import * as wishlist from './wishlist';

export * from './books';
export * from './orders';
export * from './payments';
export * from './reviews';
export * from './users';
export * from './wishlist';

/** Every event the marketplace publishes, found by type and version. */
export const EVENT_CATALOG = createEventRegistry(
  [users, books, reviews, orders, payments, wishlist].flatMap((module) => Object.values(module).filter((value): value is EventDefinition => typeof value === 'object')),
);

/** Every topic an event is published on: what Kafka must have before the services start. */
export const ALL_TOPICS: readonly string[] = EVENT_CATALOG.topics;
