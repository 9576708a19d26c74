import { runSubgraph, type TestHooks } from '@bazaar/bootstrap';
import { retryForAWhile, type RunningService, type ServiceModule } from '@bazaar/service';
import { loadReviewsConfig, type ReviewsConfig } from './config';
import { reviewsContext, type ReviewsContext } from './context';
import { registerReviewHandlers } from './domain/event-handlers';
import { Reviews } from './domain/reviews';
import { SellerFeedbacks } from './domain/seller-feedback';
import { seedDemoReviews } from './domain/seed';
import { seedDemoSellerFeedback } from './domain/seller-feedback-seed';
import { PrismaClient, type Prisma } from './generated/prisma/client';
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
    compose: ({ db, events, logger, seedsDemoData, own, reader }) => {
      const reviews = new Reviews(db, events.outbox, reader);
      const sellerFeedbacks = new SellerFeedbacks(db, events.outbox);
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
        context: (base) => reviewsContext(base, reviews, sellerFeedbacks),
      };
    },
  });
}
