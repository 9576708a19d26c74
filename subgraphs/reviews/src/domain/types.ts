import type { Connection } from '@bazaar/service';
import type { Review, SellerFeedback } from '../generated/prisma/client';

/**
 * A book as reviews knows it: just its id; the books subgraph resolves the rest.
 * @mapper
 */
export interface BookReference {
  __typename?: 'Book';
  id: string;
}

/**
 * A user as reviews knows it: just its id; the users subgraph resolves the rest.
 * @mapper
 */
export interface UserReference {
  __typename?: 'User';
  id: string;
}

export type ReviewPage = Connection<Review>;

/** A connection resolves its page and its total lazily, so a query asking for one does not pay for the other. */
interface ConnectionModel<Node> {
  page: () => Promise<Connection<Node>>;
  totalCount: () => Promise<number>;
}

export type ReviewConnectionModel = ConnectionModel<Review>;
export type SellerFeedbackConnectionModel = ConnectionModel<SellerFeedback>;

/** A seller's reputation as reviews hands it around: the seller's id; fields load in batches. */
export interface SellerReputationReference {
  __typename?: 'SellerReputation';
  sellerId: string;
}

/** Rating aggregates of one book, as kept in book_ratings. */
export interface RatingSummary {
  count: number;
  sum: number;
  /** Ratings per star, index 0 = one star. */
  stars: [number, number, number, number, number];
}

export const NO_RATINGS: RatingSummary = { count: 0, sum: 0, stars: [0, 0, 0, 0, 0] };
