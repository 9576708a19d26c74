import type DataLoader from 'dataloader';
import type { RequestContext } from '@bazaar/service';
import type { Reviews, PageRequest } from './domain/reviews';
import type { RatingSummary, ReviewPage } from './domain/types';
import type { Review } from './generated/prisma/client';

export interface ReviewsContext extends RequestContext {
  reviews: Reviews;
  /** Every review looked up by id while resolving one request, in one query. */
  reviewsById: DataLoader<string, Review | null>;
  /** The rating aggregates of every book of one request, in one query. */
  ratingsByBookId: DataLoader<string, RatingSummary>;
  /** The viewer's own review of every book of one request, in one query (null for anonymous callers). */
  myReviewByBookId: DataLoader<string, Review | null>;
  /** How many reviews every user of one request wrote, in one query. */
  reviewCountByAuthorId: DataLoader<string, number>;
  /** One page of reviews per book, for every book of one request asking for the same page, in one query. */
  bookReviewPages(request: PageRequest): DataLoader<string, ReviewPage>;
  /** One page of reviews per author, likewise. */
  authorReviewPages(request: PageRequest): DataLoader<string, ReviewPage>;
}
