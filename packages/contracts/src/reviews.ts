/**
 * The events the reviews subgraph publishes: owned by reviews (subgraphs/reviews), which alone
 * changes them; books keeps a projection of sellers' ratings (SellerRatingChanged). A change a consumer cannot read is a new version, never an edit
 * (docs/events.md).
 */
import { z } from 'zod';
import { defineEvent } from '@bazaar/events';
import { id, instant } from './primitives';

/** Reviews; keyed by book id. */
export const REVIEWS_TOPIC = 'bazaar.reviews';

const rating = z.number().int().min(1).max(5);
/** What every review event says of its review. */
const review = { reviewId: id, bookId: id, authorId: id, rating };

/** A user reviewed a book. */
export const ReviewWritten = defineEvent({
  type: 'ReviewWritten',
  version: 1,
  topic: REVIEWS_TOPIC,
  data: z.object({ ...review, verifiedPurchase: z.boolean(), createdAt: instant }),
});

/** A review's rating, title or body changed; `changedFields` names what changed. */
export const ReviewEdited = defineEvent({
  type: 'ReviewEdited',
  version: 1,
  topic: REVIEWS_TOPIC,
  data: z.object({ ...review, previousRating: rating, changedFields: z.array(z.string()) }),
});

/** A review was deleted by its author or an admin. */
export const ReviewDeleted = defineEvent({
  type: 'ReviewDeleted',
  version: 1,
  topic: REVIEWS_TOPIC,
  data: z.object({ ...review, deletedBy: id }),
});

/**
 * A seller's lifetime rating changed (feedback given or edited): books keeps the latest per seller
 * to sort offers by seller rating. Keyed by seller id. `revision` grows by one with every change
 * of the seller's aggregates, so a consumer keeps the highest it saw and ignores older ones.
 */
export const SellerRatingChanged = defineEvent({
  type: 'SellerRatingChanged',
  version: 1,
  topic: REVIEWS_TOPIC,
  data: z.object({
    sellerId: id,
    /** Mean of every feedback's three criteria (1 to 5). */
    average: z.number().min(1).max(5),
    /** How many feedbacks the seller received. */
    count: z.number().int().min(1),
    revision: z.number().int().min(1),
    changedAt: instant,
  }),
});
