import { requireViewer } from '@bazaar/service';
import type { Resolvers, SellerReputationResolvers } from '../generated/graphql';
import { editableUntil, overallAverage, type SellerRatingSummary } from '../domain/seller-feedback';
import { isPositive } from '../domain/rules';
import type { ReviewsContext } from '../context';
import type { SellerFeedbackConnectionModel, SellerReputationReference } from '../domain/types';

const reputation = (sellerId: string): SellerReputationReference => ({ __typename: 'SellerReputation', sellerId });
const mean = (sum: number, count: number) => (count === 0 ? null : sum / count);

/** A field of a seller's reputation computed from the seller's aggregates (loaded for every seller of the request at once). */
const fromRatings =
  <Value>(compute: (summary: SellerRatingSummary) => Value) =>
  async (parent: { sellerId: string }, _args: unknown, { sellerRatingsBySellerId }: ReviewsContext) =>
    compute(await sellerRatingsBySellerId.load(parent.sellerId));

const sellerReputation: SellerReputationResolvers<ReviewsContext> = {
  // Reviews knows a reputation by its seller alone; every field loads for all sellers of a request at once.
  __resolveReference: (reference) => reputation(reference.sellerId),
  seller: (parent) => ({ __typename: 'User', id: parent.sellerId }),
  averageRating: fromRatings(overallAverage),
  ratingCount: fromRatings((summary) => summary.count),
  itemAsDescribed: fromRatings((summary) => mean(summary.itemAsDescribedSum, summary.count)),
  shippingSpeed: fromRatings((summary) => mean(summary.shippingSpeedSum, summary.count)),
  communication: fromRatings((summary) => mean(summary.communicationSum, summary.count)),
  ratingCountLast12Months: fromRatings((summary) => summary.countLast12Months),
  positiveShareLast12Months: fromRatings((summary) => mean(summary.positiveLast12Months, summary.countLast12Months)),
  recentFeedback: (parent, args, context): SellerFeedbackConnectionModel => ({
    page: () => context.sellerFeedbackPages({ first: args.first ?? 10, after: args.after ?? null }).load(parent.sellerId),
    totalCount: async () => (await context.sellerRatingsBySellerId.load(parent.sellerId)).count,
  }),
};

/** Seller feedback and reputation: the seller side of what reviews contributes to the graph. */
export const sellerFeedbackResolvers: Resolvers = {
  Mutation: {
    rateSeller: async (_root, { orderId, sellerId, input }, { auth, sellerFeedbacks }) => ({
      feedback: await sellerFeedbacks.rate(requireViewer(auth), orderId, sellerId, input),
    }),
    updateSellerFeedback: async (_root, { id, input }, { auth, sellerFeedbacks }) => ({
      feedback: await sellerFeedbacks.update(requireViewer(auth), id, input),
    }),
    respondToSellerFeedback: async (_root, { id, response }, { auth, sellerFeedbacks }) => ({
      feedback: await sellerFeedbacks.respond(requireViewer(auth), id, response),
    }),
  },
  SellerReputation: sellerReputation,
  SellerFeedback: {
    __resolveReference: (reference, { sellerFeedbackById }) => sellerFeedbackById.load(reference.id),
    seller: (feedback) => ({ __typename: 'User', id: feedback.sellerId }),
    buyer: (feedback) => ({ __typename: 'User', id: feedback.buyerId }),
    rating: (feedback) => (feedback.itemAsDescribed + feedback.shippingSpeed + feedback.communication) / 3,
    positive: (feedback) => isPositive(feedback),
    editableUntil: (feedback) => editableUntil(feedback),
    response: (feedback) => (feedback.response === null || feedback.respondedAt === null ? null : { text: feedback.response, respondedAt: feedback.respondedAt }),
  },
  SellerFeedbackConnection: {
    edges: async (connection) => (await connection.page()).edges,
    pageInfo: async (connection) => (await connection.page()).pageInfo,
    totalCount: (connection) => connection.totalCount(),
  },
};

export const sellerReputationOf = reputation;
