import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { settled, type GraphQLClient, type TestStack } from '@bazaar/testing';

/** Signs a real account up (so `author { displayName }` resolves) and returns a client holding its token. */
export async function signUp(stack: TestStack, displayName: string): Promise<{ id: string; client: GraphQLClient }> {
  const email = `reviews-${process.pid}-${randomUUID().slice(0, 8)}@example.com`;
  const { signUp: payload } = await stack.client.data<{ signUp: { user: { id: string }; session: { accessToken: string } } }>(
    `mutation($input: SignUpInput!) { signUp(input: $input) { user { id } session { accessToken } } }`,
    { input: { email, password: 'correct horse battery', displayName } },
  );
  return { id: payload.user.id, client: stack.client.withToken(payload.session.accessToken) };
}

/** Waits until reviews has learnt of the books from the catalog's BookCreated events. */
export async function waitUntilKnown(pool: pg.Pool, bookIds: string[]): Promise<void> {
  await settled(
    async () => Number((await pool.query<{ count: string }>('SELECT count(*) FROM known_books WHERE book_id = ANY($1::uuid[])', [bookIds])).rows[0]!.count),
    (count) => count === bookIds.length,
    (known) => `reviews knows ${known} of ${bookIds.length} books`,
  );
}

export const WRITE_REVIEW = /* GraphQL */ `
  mutation Write($input: WriteReviewInput!) {
    writeReview(input: $input) {
      review { id rating title body verifiedPurchase helpfulCount createdAt updatedAt author { id } book { id } }
    }
  }
`;

export interface WrittenReview {
  id: string;
  rating: number;
  title: string;
  body: string;
  verifiedPurchase: boolean;
  helpfulCount: number;
  createdAt: string;
  updatedAt: string;
  author: { id: string };
  book: { id: string };
}

export async function writeReview(client: GraphQLClient, bookId: string, rating: number, extra: { title?: string; body?: string } = {}): Promise<WrittenReview> {
  const { writeReview: payload } = await client.data<{ writeReview: { review: WrittenReview } }>(WRITE_REVIEW, {
    input: { bookId, rating, title: extra.title ?? `${rating} stars`, body: extra.body ?? 'A considered opinion.' },
  });
  return payload.review;
}

const RATINGS = /* GraphQL */ `
  query Ratings($id: ID!) {
    book(id: $id) { averageRating ratingCount ratingHistogram { stars count } }
  }
`;

export interface Ratings {
  averageRating: number | null;
  ratingCount: number;
  ratingHistogram: { stars: number; count: number }[];
}

export async function ratingsOf(client: GraphQLClient, bookId: string): Promise<Ratings> {
  const { book } = await client.data<{ book: Ratings }>(RATINGS, { id: bookId });
  return book;
}

export const histogram = (counts: Record<number, number>) => [5, 4, 3, 2, 1].map((stars) => ({ stars, count: counts[stars] ?? 0 }));
