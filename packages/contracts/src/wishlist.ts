/**
 * The events the wishlist subgraph publishes: owned by wishlist (subgraphs/wishlist), which alone
 * changes them; a notifier would consume them. A change a consumer cannot read is a new version, never an edit
 * (docs/events.md).
 */
import { z } from 'zod';
import { defineEvent } from '@bazaar/events';
import { id, instant, money } from './primitives';

/** Wishlist notifications; keyed by user id. */
export const WISHLIST_TOPIC = 'bazaar.wishlist';

/** A listing of a wished book appeared at, or dropped to, the wisher's target price or below. */
export const WishlistPriceAlert = defineEvent({
  type: 'WishlistPriceAlert',
  version: 1,
  topic: WISHLIST_TOPIC,
  data: z.object({
    notificationId: id,
    userId: id,
    bookId: id,
    listingId: id,
    price: money,
    targetPrice: money,
    alertedAt: instant,
  }),
});
