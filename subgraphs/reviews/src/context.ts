import DataLoader from 'dataloader';
import { loaderById, loaderByKey, pageArgs, viewerOrNull, type Connection, type RequestContext } from '@bazaar/service';
import { decodeCursor } from './domain/cursor';
import type { Reviews, PageRequest } from './domain/reviews';
import { NO_RATINGS, type RatingSummary, type ReviewPage } from './domain/types';
import { decodeFeedbackCursor, NO_SELLER_RATINGS, type SellerFeedbacks, type SellerFeedbackPageRequest, type SellerRatingSummary } from './domain/seller-feedback';
import type { Review, SellerFeedback } from './generated/prisma/client';
import { pageLoaders } from './page-loaders';

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

/** One request's context: the domain services and a fresh set of batching loaders over them. */
export function reviewsContext(base: RequestContext, reviews: Reviews, sellerFeedbacks: SellerFeedbacks): ReviewsContext {
  const viewer = viewerOrNull(base.auth);
  const checkReviewPage = (request: PageRequest) => {
    pageArgs(request);
    decodeCursor(request.after, request.sort);
  };
  return {
    ...base,
    reviews,
    reviewsById: loaderById((ids) => reviews.findMany(ids)),
    ratingsByBookId: loaderByKey((ids) => reviews.ratingsOf(ids), NO_RATINGS),
    myReviewByBookId: new DataLoader<string, Review | null>(async (ids) => {
      if (!viewer) return ids.map(() => null);
      const mine = await reviews.byAuthorOf(viewer.id, ids);
      return ids.map((id) => mine.get(id) ?? null);
    }),
    reviewCountByAuthorId: loaderByKey((ids) => reviews.countByAuthors(ids), 0),
    bookReviewPages: pageLoaders((keys, request: PageRequest) => reviews.pages('book_id', keys, request), checkReviewPage),
    authorReviewPages: pageLoaders((keys, request: PageRequest) => reviews.pages('author_id', keys, request), checkReviewPage),
    sellerFeedbacks,
    sellerFeedbackById: loaderById((ids) => sellerFeedbacks.findMany(ids)),
    sellerRatingsBySellerId: loaderByKey((ids) => sellerFeedbacks.ratingsOf(ids), NO_SELLER_RATINGS),
    sellerFeedbackPages: pageLoaders(
      (keys, request) => sellerFeedbacks.pages(keys, request),
      (request) => decodeFeedbackCursor(pageArgs(request).after),
    ),
  };
}
