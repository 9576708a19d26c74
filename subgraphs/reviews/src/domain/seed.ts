import { Faker, en } from '@faker-js/faker';
import { DEMO_USER_IDS } from '@bazaar/demo';
import type { Prisma, PrismaClient } from '../generated/prisma/client';

const REFERENCE_DATE = new Date('2026-11-15T00:00:00Z');

const TITLES: Record<number, string[]> = {
  1: ['Could not finish it', 'Not for me', 'A disappointment'],
  2: ['Had its moments', 'Uneven', 'Expected more'],
  3: ['Decent read', 'Fine for a weekend', 'Middle of the road'],
  4: ['Really enjoyed it', 'Well worth it', 'A strong read'],
  5: ['A masterpiece', 'Could not put it down', 'An instant favourite'],
};

export interface DemoReviewsResult {
  /** Books of the known-books projection when it was looked at. */
  knownBooks: number;
  reviews: number;
}

/**
 * Demo data for development, into an empty reviews database only: once the known-books projection
 * holds the whole demo catalog (`catalogSize` books, learnt from the catalog's BookCreated events),
 * reviews of about a third of them by the demo accounts, ratings leaning positive as real ones do,
 * some from verified purchases, some marked helpful; the aggregates are computed from them once.
 * Until then it writes nothing (and says so with `reviews: 0`), so the caller tries again later.
 */
export async function seedDemoReviews(db: PrismaClient, options: { catalogSize: number; seed?: number }): Promise<DemoReviewsResult> {
  if ((await db.review.count()) > 0) return { knownBooks: 0, reviews: 0 };
  const books = await db.knownBook.findMany({ select: { bookId: true }, orderBy: { bookId: 'asc' } });
  if (books.length < options.catalogSize) return { knownBooks: books.length, reviews: 0 };
  const faker = new Faker({ locale: [en] });
  faker.seed(options.seed ?? 20261126);

  const reviews: Prisma.ReviewCreateManyInput[] = [];
  const purchases: Prisma.VerifiedPurchaseCreateManyInput[] = [];
  const votes: Prisma.HelpfulVoteCreateManyInput[] = [];
  for (const book of books) {
    if (!faker.datatype.boolean(0.35)) continue;
    const authors = faker.helpers.arrayElements(DEMO_USER_IDS, { min: 1, max: DEMO_USER_IDS.length });
    for (const authorId of authors) {
      const rating = faker.helpers.weightedArrayElement([
        { weight: 1, value: 1 },
        { weight: 1, value: 2 },
        { weight: 3, value: 3 },
        { weight: 5, value: 4 },
        { weight: 4, value: 5 },
      ]);
      const verifiedPurchase = faker.datatype.boolean(0.4);
      const id = faker.string.uuid();
      const createdAt = faker.date.past({ years: 1, refDate: REFERENCE_DATE });
      const voters = faker.helpers.arrayElements(
        DEMO_USER_IDS.filter((voter) => voter !== authorId),
        faker.helpers.weightedArrayElement([
          { weight: 6, value: 0 },
          { weight: 3, value: 1 },
          { weight: 1, value: 3 },
        ]),
      );
      reviews.push({
        id,
        bookId: book.bookId,
        authorId,
        rating,
        title: faker.helpers.arrayElement(TITLES[rating]!),
        body: faker.lorem.paragraphs({ min: 1, max: 3 }),
        verifiedPurchase,
        helpfulCount: voters.length,
        createdAt,
        updatedAt: createdAt,
      });
      if (verifiedPurchase) purchases.push({ buyerId: authorId, bookId: book.bookId, orderCount: 1, lastDeliveredAt: createdAt });
      votes.push(...voters.map((userId) => ({ reviewId: id, userId, createdAt })));
    }
  }

  await db.$transaction(
    async (tx) => {
      await tx.review.createMany({ data: reviews });
      await tx.verifiedPurchase.createMany({ data: purchases, skipDuplicates: true });
      await tx.helpfulVote.createMany({ data: votes });
      await tx.$executeRaw`
        INSERT INTO book_ratings (book_id, count, sum, stars_1, stars_2, stars_3, stars_4, stars_5)
        SELECT book_id, count(*), sum(rating),
               count(*) FILTER (WHERE rating = 1), count(*) FILTER (WHERE rating = 2), count(*) FILTER (WHERE rating = 3),
               count(*) FILTER (WHERE rating = 4), count(*) FILTER (WHERE rating = 5)
          FROM reviews GROUP BY book_id
        ON CONFLICT (book_id) DO NOTHING`;
    },
    { timeout: 60_000, maxWait: 15_000 },
  );
  return { knownBooks: books.length, reviews: reviews.length };
}
