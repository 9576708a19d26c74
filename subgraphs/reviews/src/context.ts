import type DataLoader from 'dataloader';
import type { RequestContext } from '@bazaar/service';
import type { Reviews, PageRequest } from './domain/reviews';
import type { RatingSummary, ReviewPage } from './domain/types';
import type { SellerFeedbacks, SellerFeedbackPageRequest, SellerRatingSummary } from './domain/seller-feedback';
import type { Review, SellerFeedback } from './generated/prisma/client';
import type { Connection } from '@bazaar/service';

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
  sellerFeedbacks: SellerFeedbacks;
  /** Every seller feedback looked up by id while resolving one request, in one query. */
  sellerFeedbackById: DataLoader<string, SellerFeedback | null>;
  /** The reputation aggregates of every seller of one request (e.g. every listing's seller), in one query. */
  sellerRatingsBySellerId: DataLoader<string, SellerRatingSummary>;
  /** One page of feedback per seller, for every seller of one request asking for the same page, in one query. */
  sellerFeedbackPages(request: SellerFeedbackPageRequest): DataLoader<string, Connection<SellerFeedback>>;
}
