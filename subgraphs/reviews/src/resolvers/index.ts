import { DateTime, requireViewer } from '@bazaar/service';
import type { Resolvers } from '../generated/graphql';
import type { ReviewsContext } from '../context';
import type { ReviewConnectionModel } from '../domain/types';
import type { PageRequest } from '../domain/reviews';
import type DataLoader from 'dataloader';
import type { ReviewPage } from '../domain/types';
import { sellerFeedbackResolvers, sellerReputationOf } from './seller-feedback';

const connection = (loader: DataLoader<string, ReviewPage>, key: string, totalCount: () => Promise<number>): ReviewConnectionModel => ({
  page: () => loader.load(key),
  totalCount,
});

const page = (args: { first?: number | null; after?: string | null; sort?: PageRequest['sort'] | null }): PageRequest => ({
  first: args.first ?? 10,
  after: args.after ?? null,
  sort: args.sort ?? 'NEWEST',
});

const reviewResolvers: Resolvers = {
  DateTime,
  Query: {
    review: (_root, { id }, { reviewsById }) => reviewsById.load(id),
  },
  Mutation: {
    writeReview: async (_root, { input }, { auth, reviews }) => ({ review: await reviews.write(requireViewer(auth), input) }),
    editReview: async (_root, { input }, { auth, reviews }) => ({ review: await reviews.edit(requireViewer(auth), input) }),
    deleteReview: async (_root, { id }, { auth, reviews }) => {
      const deleted = await reviews.delete(requireViewer(auth), id);
      return { deletedReviewId: deleted.id, book: { id: deleted.bookId } };
    },
    markReviewHelpful: async (_root, { id }, { auth, reviews }) => ({ review: await reviews.markHelpful(requireViewer(auth), id) }),
  },
  Review: {
    __resolveReference: (reference, { reviewsById }) => reviewsById.load(reference.id),
    book: (review) => ({ __typename: 'Book', id: review.bookId }),
    author: (review) => ({ __typename: 'User', id: review.authorId }),
  },
  Book: {
    // Reviews knows a book by its id alone; every field below is loaded for all books of a request at once.
    __resolveReference: (reference) => ({ id: reference.id }),
    reviews: (book, args, context: ReviewsContext) =>
      connection(context.bookReviewPages(page(args)), book.id, async () => (await context.ratingsByBookId.load(book.id)).count),
    averageRating: async (book, _args, { ratingsByBookId }) => {
      const { count, sum } = await ratingsByBookId.load(book.id);
      return count === 0 ? null : sum / count;
    },
    ratingCount: async (book, _args, { ratingsByBookId }) => (await ratingsByBookId.load(book.id)).count,
    ratingHistogram: async (book, _args, { ratingsByBookId }) => {
      const { stars } = await ratingsByBookId.load(book.id);
      return [5, 4, 3, 2, 1].map((star) => ({ stars: star, count: stars[star - 1]! }));
    },
    myReview: (book, _args, { myReviewByBookId }) => myReviewByBookId.load(book.id),
  },
  User: {
    __resolveReference: (reference) => ({ id: reference.id }),
    reviews: (user, args, context: ReviewsContext) =>
      connection(context.authorReviewPages(page({ ...args, sort: 'NEWEST' })), user.id, () => context.reviewCountByAuthorId.load(user.id)),
    sellerReputation: (user) => sellerReputationOf(user.id),
  },
  ReviewConnection: {
    edges: async (connection) => (await connection.page()).edges,
    pageInfo: async (connection) => (await connection.page()).pageInfo,
    totalCount: (connection) => connection.totalCount(),
  },
};

export const resolvers: Resolvers = {
  ...reviewResolvers,
  ...sellerFeedbackResolvers,
  Mutation: { ...reviewResolvers.Mutation, ...sellerFeedbackResolvers.Mutation },
};
