import DataLoader from 'dataloader';
import { startEventBackbone, eventReadiness } from '@bazaar/events';
import { createLogger, tokenVerifierFromConfig, parseInput, startSubgraph, viewerOrNull, type RunningService, type ServiceModule, postgresAdapter } from '@bazaar/service';
import { loadReviewsConfig, type ReviewsConfig } from './config';
import { decodeCursor } from './domain/cursor';
import { createReviewsConsumer } from './domain/projections';
import { Reviews, type PageRequest } from './domain/reviews';
import { pageArgs } from './domain/rules';
import { seedDemoReviews } from './domain/seed';
import { NO_RATINGS, type RatingSummary, type ReviewPage } from './domain/types';
import { PrismaClient, type Review } from './generated/prisma/client';
import { resolvers } from './resolvers';
import type { ReviewsContext } from './context';

export { loadReviewsConfig, type ReviewsConfig } from './config';

export const service: ServiceModule<ReviewsConfig> = {
  loadConfig: (env) => loadReviewsConfig(env),
  start: (config) => startReviewsService(config),
};

/** Hooks for tests only; production code never passes them. */
export interface ReviewsServiceInternals {
  /** Called with every SQL statement Prisma sends (the batching test counts them). */
  onQuery?: (sql: string) => void;
}

function createReviewsDb(databaseUrl: string, onQuery?: (sql: string) => void): PrismaClient {
  if (!onQuery) return new PrismaClient({ adapter: postgresAdapter(databaseUrl) });
  const db = new PrismaClient({ adapter: postgresAdapter(databaseUrl), log: [{ emit: 'event', level: 'query' }] });
  db.$on('query', (event) => onQuery(event.query));
  return db;
}

/**
 * Loaders of one page (first, after, sort) of many books' or authors' reviews, one loader per
 * distinct page asked for in the request. Arguments are checked here, before anything is loaded.
 */
function pageLoaders(load: (keys: readonly string[], request: PageRequest) => Promise<Map<string, ReviewPage>>) {
  const loaders = new Map<string, DataLoader<string, ReviewPage>>();
  return (request: PageRequest) => {
    parseInput(pageArgs, { first: request.first, after: request.after });
    decodeCursor(request.after, request.sort);
    const cacheKey = JSON.stringify([request.first, request.after ?? null, request.sort]);
    let loader = loaders.get(cacheKey);
    if (!loader) {
      loader = new DataLoader<string, ReviewPage>(async (keys) => {
        const pages = await load(keys, request);
        return keys.map((key) => pages.get(key) ?? { edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null } });
      });
      loaders.set(cacheKey, loader);
    }
    return loader;
  };
}

/** The reviews subgraph's composition root: config in, running service out. */
export async function startReviewsService(config: ReviewsConfig, internals: ReviewsServiceInternals = {}): Promise<RunningService> {
  const logger = createLogger({ service: 'reviews', level: config.LOG_LEVEL });
  const db = createReviewsDb(config.REVIEWS_DATABASE_URL, internals.onQuery);
  const events = await startEventBackbone({ service: 'reviews', databaseUrl: config.REVIEWS_DATABASE_URL, config, logger });
  const consumer = createReviewsConsumer(db, events.transport, logger);
  const reviews = new Reviews(db, events.outbox);
  const verifier = tokenVerifierFromConfig(config);

  const stopAll = async () => {
    await consumer.stop();
    await events.stop();
    await db.$disconnect();
  };
  try {
    await consumer.start();
    if (config.SEED_DEMO_DATA && config.NODE_ENV !== 'production') {
      const seeded = await seedDemoReviews(db, { catalogSize: config.DEMO_CATALOG_SIZE });
      if (seeded.reviews > 0) logger.info(seeded, 'demo reviews seeded');
    }
    return await startSubgraph<ReviewsContext>({
      name: 'reviews',
      schemaPath: new URL('./schema.graphql', import.meta.url),
      resolvers,
      host: config.HOST,
      port: config.REVIEWS_PORT,
      environment: config.NODE_ENV,
      edge: config,
      logger,
      verifier,
      createContext: (base) => {
        const viewer = viewerOrNull(base.auth);
        return {
          ...base,
          reviews,
          reviewsById: new DataLoader<string, Review | null>(async (ids) => {
            const found = new Map((await reviews.findMany(ids)).map((review) => [review.id, review]));
            return ids.map((id) => found.get(id) ?? null);
          }),
          ratingsByBookId: new DataLoader<string, RatingSummary>(async (ids) => {
            const ratings = await reviews.ratingsOf(ids);
            return ids.map((id) => ratings.get(id) ?? NO_RATINGS);
          }),
          myReviewByBookId: new DataLoader<string, Review | null>(async (ids) => {
            if (!viewer) return ids.map(() => null);
            const mine = await reviews.byAuthorOf(viewer.id, ids);
            return ids.map((id) => mine.get(id) ?? null);
          }),
          reviewCountByAuthorId: new DataLoader<string, number>(async (ids) => {
            const counts = await reviews.countByAuthors(ids);
            return ids.map((id) => counts.get(id) ?? 0);
          }),
          bookReviewPages: pageLoaders((keys, request) => reviews.pages('book_id', keys, request)),
          authorReviewPages: pageLoaders((keys, request) => reviews.pages('author_id', keys, request)),
        };
      },
      checkReadiness: async () => {
        await db.$queryRaw`SELECT 1`;
        return eventReadiness([consumer]);
      },
      onShutdown: stopAll,
    });
  } catch (error) {
    await stopAll();
    throw error;
  }
}
