import { z } from 'zod';
import { baseServiceConfig, loadConfig, port, postgresUrl } from '@bazaar/service';

const reviewsConfigSchema = baseServiceConfig.extend({
  REVIEWS_PORT: port(4003),
  REVIEWS_DATABASE_URL: postgresUrl,
  /** Seeds demo reviews of the demo catalog into an empty database on start; ignored in production. */
  SEED_DEMO_DATA: z.enum(['true', 'false']).default('false').transform((value) => value === 'true'),
  /** The size of the books service's demo catalog (the same variable): the demo reviews are of its books. */
  DEMO_CATALOG_SIZE: z.coerce.number().int().min(1).max(1_000_000).default(2000),
});

export type ReviewsConfig = z.infer<typeof reviewsConfigSchema>;

export const loadReviewsConfig = (env: Record<string, string | undefined> = process.env) =>
  loadConfig(reviewsConfigSchema, env);
