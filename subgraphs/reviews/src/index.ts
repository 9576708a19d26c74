import { runSubgraph, type TestHooks } from '@bazaar/bootstrap';
import { loaderById, loaderByKey, pageArgs, retryForAWhile, viewerOrNull, type RunningService, type ServiceModule } from '@bazaar/service';
import DataLoader from 'dataloader';
import { loadReviewsConfig, type ReviewsConfig } from './config';
import type { ReviewsContext } from './context';
import { registerReviewHandlers } from './domain/event-handlers';
import { Reviews } from './domain/reviews';
import { seedDemoReviews } from './domain/seed';
import { seedDemoSellerFeedback } from './domain/seller-feedback-seed';
import { decodeFeedbackCursor, NO_SELLER_RATINGS, SellerFeedbacks } from './domain/seller-feedback';
import { decodeCursor } from './domain/cursor';
import type { PageRequest } from './domain/reviews';
import { NO_RATINGS } from './domain/types';
import { PrismaClient, type Prisma, type Review } from './generated/prisma/client';
import { pageLoaders } from './page-loaders';
import { resolvers } from './resolvers';

export { loadReviewsConfig, type ReviewsConfig } from './config';

export const service: ServiceModule<ReviewsConfig> = {
  loadConfig: (env) => loadReviewsConfig(env),
  start: (config) => startReviewsService(config),
};

/** The reviews subgraph's composition root: config in, running service out. */
export function startReviewsService(config: ReviewsConfig, testHooks: TestHooks = {}): Promise<RunningService> {
  return runSubgraph<ReviewsConfig, PrismaClient, Prisma.TransactionClient, ReviewsContext>({
    name: 'reviews',
    schemaPath: new URL('./schema.graphql', import.meta.url),
    resolvers,
    config,
    port: config.REVIEWS_PORT,
    databaseUrl: config.REVIEWS_DATABASE_URL,
    prisma: (options) => new PrismaClient(options),
    testHooks,
    compose: ({ db, events, logger, seedsDemoData, own }) => {
      const reviews = new Reviews(db, events.outbox);
      const sellerFeedbacks = new SellerFeedbacks(db, events.outbox);
      const checkReviewPage = (request: PageRequest) => {
        pageArgs(request);
        decodeCursor(request.after, request.sort);
      };
      // The demo reviews wait for the known-books projection to fill from the catalog's events.
      const demo = own(retryForAWhile({ intervalMs: 1_000, forMs: 600_000 }));
      return {
        handlers: (consumer) => registerReviewHandlers(consumer),
        prepare: async () => {
          if (!seedsDemoData) return;
          const sellerFeedback = await seedDemoSellerFeedback(db, events.outbox);
          if (sellerFeedback.feedbacks > 0) logger.info(sellerFeedback, 'demo seller feedback seeded');
          demo.start(async () => {
            const seeded = await seedDemoReviews(db, { catalogSize: config.DEMO_CATALOG_SIZE });
            if (seeded.reviews > 0) logger.info(seeded, 'demo reviews seeded');
          }, (error) => logger.warn({ err: error }, 'demo reviews not seeded'));
        },
        context: (base) => {
          const viewer = viewerOrNull(base.auth);
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
        },
      };
    },
  });
}
