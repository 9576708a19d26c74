import { conflict, connectionOf, forbidden, hasRole, isUniqueViolation, isUuid, notFound, pageArgs, parseInput, type LeanReader, type RawSql, type Viewer } from '@bazaar/service';
import { type Outbox } from '@bazaar/events';
import { ReviewDeleted, ReviewEdited, ReviewWritten } from '@bazaar/contracts/reviews';
import { Prisma, type BookRating, type PrismaClient, type Review } from '../generated/prisma/client';
import { after, decodeCursor, encodeCursor, orderBy, type ReviewSort } from './cursor';
import { editReviewInput, writeReviewInput } from './rules';
import type { RatingSummary, ReviewPage } from './types';

type Tx = Prisma.TransactionClient;

/** Many concurrent writes of one book queue on its aggregate row; give them room to wait. */
const TX_OPTIONS = { maxWait: 15_000, timeout: 15_000 } as const;

const NO_REVIEW = 'No review with this id.';
const NO_BOOK = 'No book with this id in the catalog.';

/**
 * Serialises the review of one (user, book) with the delivery of that book to that user, so a
 * review written while its OrderDelivered is applied still ends up verified (see projections.ts).
 */
export const lockPurchase = (tx: RawSql, userId: string, bookId: string) =>
  tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`${userId}:${bookId}`}, 0))`;

/**
 * Adds `delta` (+1 or -1) ratings of `rating` stars to a book's aggregates in one atomic statement:
 * concurrent writes queue on the row lock and each sees the others' results, so the counts stay exact.
 */
async function changeRating(tx: Tx, bookId: string, rating: number, delta: 1 | -1): Promise<void> {
  if (!Number.isInteger(rating) || rating < 1 || rating > 5) throw new Error(`invalid rating ${rating}`);
  const stars = Prisma.raw(`stars_${rating}`);
  if (delta === -1) {
    // The row exists: the rating being removed was added to it. (An INSERT's proposed row is checked
    // against the table's constraints before ON CONFLICT applies, so removals are plain UPDATEs.)
    await tx.$executeRaw`
      UPDATE book_ratings SET count = count - 1, sum = sum - ${rating}, ${stars} = ${stars} - 1 WHERE book_id = ${bookId}::uuid`;
    return;
  }
  await tx.$executeRaw`
    INSERT INTO book_ratings (book_id, count, sum, ${stars}) VALUES (${bookId}::uuid, 1, ${rating}, 1)
    ON CONFLICT (book_id) DO UPDATE SET
      count = book_ratings.count + 1,
      sum = book_ratings.sum + ${rating},
      ${stars} = book_ratings.${stars} + 1`;
}

interface ReviewRow {
  id: string;
  book_id: string;
  author_id: string;
  rating: number;
  title: string;
  body: string;
  verified_purchase: boolean;
  helpful_count: number;
  created_at: Date;
  updated_at: Date;
  partition_key: string;
}

const fromRow = (row: ReviewRow): Review => ({
  id: row.id,
  bookId: row.book_id,
  authorId: row.author_id,
  rating: row.rating,
  title: row.title,
  body: row.body,
  verifiedPurchase: row.verified_purchase,
  helpfulCount: row.helpful_count,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export interface PageRequest {
  first: number;
  after?: string | null;
  sort: ReviewSort;
}

/** Reviews of books: the rules of writing, editing, deleting and rating them, and batched reads. */
export class Reviews {
  constructor(
    private readonly db: PrismaClient,
    private readonly outbox: Outbox,
    private readonly reader: LeanReader,
  ) {}

  async write(viewer: Viewer, rawInput: unknown): Promise<Review> {
    const input = parseInput(writeReviewInput, rawInput);
    if (!isUuid(input.bookId)) throw notFound(NO_BOOK, { id: input.bookId });
    try {
      return await this.db.$transaction(async (tx) => {
        if (!(await tx.knownBook.findUnique({ where: { bookId: input.bookId }, select: { bookId: true } }))) {
          throw notFound(NO_BOOK, { id: input.bookId });
        }
        await lockPurchase(tx, viewer.id, input.bookId);
        const purchase = await tx.verifiedPurchase.findUnique({ where: { buyerId_bookId: { buyerId: viewer.id, bookId: input.bookId } } });
        const review = await tx.review.create({
          data: {
            bookId: input.bookId,
            authorId: viewer.id,
            rating: input.rating,
            title: input.title,
            body: input.body,
            verifiedPurchase: purchase !== null,
          },
        });
        await changeRating(tx, review.bookId, review.rating, 1);
        await this.outbox.add(tx, {
          definition: ReviewWritten,
          key: review.bookId,
          data: {
            reviewId: review.id,
            bookId: review.bookId,
            authorId: review.authorId,
            rating: review.rating,
            verifiedPurchase: review.verifiedPurchase,
            createdAt: review.createdAt.toISOString(),
          },
        });
        return review;
      }, TX_OPTIONS);
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('You have already reviewed this book; edit your review instead.', { field: 'bookId' });
      throw error;
    }
  }

  /** Only the author edits a review. Unchanged input writes nothing and announces nothing. */
  async edit(viewer: Viewer, rawInput: unknown): Promise<Review> {
    const input = parseInput(editReviewInput, rawInput);
    if (!isUuid(input.id)) throw notFound(NO_REVIEW, { id: input.id });
    return this.db.$transaction(async (tx) => {
      const review = await this.lockReview(tx, input.id);
      if (review.authorId !== viewer.id) throw forbidden('Only its author can edit a review.');
      const changes: Partial<Pick<Review, 'rating' | 'title' | 'body'>> = {};
      if (input.rating !== null && input.rating !== undefined && input.rating !== review.rating) changes.rating = input.rating;
      if (input.title !== null && input.title !== undefined && input.title !== review.title) changes.title = input.title;
      if (input.body !== null && input.body !== undefined && input.body !== review.body) changes.body = input.body;
      const changedFields = Object.keys(changes);
      if (changedFields.length === 0) return review;
      const updated = await tx.review.update({ where: { id: review.id }, data: changes });
      if (updated.rating !== review.rating) {
        await changeRating(tx, review.bookId, review.rating, -1);
        await changeRating(tx, review.bookId, updated.rating, 1);
      }
      await this.outbox.add(tx, {
        definition: ReviewEdited,
        key: review.bookId,
        data: {
          reviewId: review.id,
          bookId: review.bookId,
          authorId: review.authorId,
          rating: updated.rating,
          previousRating: review.rating,
          changedFields,
        },
      });
      return updated;
    }, TX_OPTIONS);
  }

  /** The author or an admin deletes a review; its rating leaves the book's aggregates. */
  async delete(viewer: Viewer, id: string): Promise<Review> {
    if (!isUuid(id)) throw notFound(NO_REVIEW, { id });
    return this.db.$transaction(async (tx) => {
      const review = await this.lockReview(tx, id);
      if (review.authorId !== viewer.id && !hasRole(viewer, 'ADMIN')) throw forbidden('Only its author or an admin can delete a review.');
      await tx.review.delete({ where: { id } });
      await changeRating(tx, review.bookId, review.rating, -1);
      await this.outbox.add(tx, {
        definition: ReviewDeleted,
        key: review.bookId,
        data: { reviewId: review.id, bookId: review.bookId, authorId: review.authorId, rating: review.rating, deletedBy: viewer.id },
      });
      return review;
    }, TX_OPTIONS);
  }

  /** Once per user, never on one's own review. */
  async markHelpful(viewer: Viewer, id: string): Promise<Review> {
    if (!isUuid(id)) throw notFound(NO_REVIEW, { id });
    try {
      return await this.db.$transaction(async (tx) => {
        const review = await tx.review.findUnique({ where: { id } });
        if (!review) throw notFound(NO_REVIEW, { id });
        if (review.authorId === viewer.id) throw forbidden('You cannot mark your own review as helpful.');
        await tx.helpfulVote.create({ data: { reviewId: id, userId: viewer.id } });
        return tx.review.update({ where: { id }, data: { helpfulCount: { increment: 1 } } });
      }, TX_OPTIONS);
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('You have already marked this review as helpful.', { id });
      throw error;
    }
  }

  private async lockReview(tx: Tx, id: string): Promise<Review> {
    const rows = await tx.$queryRaw<ReviewRow[]>`SELECT *, id AS partition_key FROM reviews WHERE id = ${id}::uuid FOR UPDATE`;
    if (!rows[0]) throw notFound(NO_REVIEW, { id });
    return fromRow(rows[0]);
  }

  // --- Reads, each one statement for a whole batch of keys ---

  async findMany(ids: readonly string[]): Promise<Review[]> {
    return this.db.review.findMany({ where: { id: { in: ids.filter(isUuid) } } });
  }

  /** Aggregates of many books in one statement; books nobody rated get NO_RATINGS. */
  async ratingsOf(bookIds: readonly string[]): Promise<Map<string, RatingSummary>> {
    const ids = bookIds.filter(isUuid);
    if (ids.length === 0) return new Map();
    const rows = await this.reader.rows<BookRating>({
      name: 'book-ratings-by-book',
      text: `SELECT book_id AS "bookId", count, sum, stars_1 AS "stars1", stars_2 AS "stars2", stars_3 AS "stars3", stars_4 AS "stars4", stars_5 AS "stars5"
               FROM book_ratings WHERE book_id = ANY($1::uuid[])`,
      values: [ids],
    });
    return new Map(
      rows.map((row) => [row.bookId, { count: row.count, sum: row.sum, stars: [row.stars1, row.stars2, row.stars3, row.stars4, row.stars5] }]),
    );
  }

  /** One user's reviews of many books (their `myReview`), in one statement. */
  async byAuthorOf(authorId: string, bookIds: readonly string[]): Promise<Map<string, Review>> {
    const reviews = await this.db.review.findMany({ where: { authorId, bookId: { in: bookIds.filter(isUuid) } } });
    return new Map(reviews.map((review) => [review.bookId, review]));
  }

  /** How many reviews each user wrote, in one statement. */
  async countByAuthors(authorIds: readonly string[]): Promise<Map<string, number>> {
    const groups = await this.db.review.groupBy({ by: ['authorId'], where: { authorId: { in: authorIds.filter(isUuid) } }, _count: { _all: true } });
    return new Map(groups.map((group) => [group.authorId, group._count._all]));
  }

  /**
   * The same page (first, after, sort) of the reviews of many books, or of many authors, in one
   * statement: ROW_NUMBER() over each book's (author's) reviews in the page's order.
   */
  async pages(partition: 'book_id' | 'author_id', keys: readonly string[], request: PageRequest): Promise<Map<string, ReviewPage>> {
    const page = pageArgs(request);
    const position = decodeCursor(request.after, request.sort);
    const ids = [...new Set(keys.filter(isUuid))];
    const pages = new Map<string, ReviewPage>();
    if (ids.length === 0) return pages;
    const column = Prisma.raw(`r.${partition}`);
    const query = Prisma.sql`
      SELECT * FROM (
        SELECT r.*, ${column} AS partition_key, ROW_NUMBER() OVER (PARTITION BY ${column} ORDER BY ${orderBy(request.sort)}) AS rn
          FROM reviews r
         WHERE ${column} = ANY(${ids}::uuid[]) AND ${after(request.sort, position)}
      ) r
      WHERE r.rn <= ${page.first + 1}
      ORDER BY r.partition_key, r.rn`;
    const rows = await this.reader.rows<ReviewRow>({ text: query.text, values: query.values });
    const grouped = new Map<string, Review[]>();
    for (const row of rows) {
      const list = grouped.get(row.partition_key) ?? [];
      list.push(fromRow(row));
      grouped.set(row.partition_key, list);
    }
    for (const id of ids) {
      pages.set(id, connectionOf(grouped.get(id) ?? [], page, (review) => encodeCursor(request.sort, review)));
    }
    return pages;
  }
}
