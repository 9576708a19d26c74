import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBook, mintedUser, startTestStack, type GraphQLClient, type TestStack } from '@bazaar/testing';
import { histogram, ratingsOf, signUp, waitUntilKnown, WRITE_REVIEW, writeReview, type WrittenReview } from './helpers';

let stack: TestStack;
let db: pg.Pool;
let seller: GraphQLClient;

beforeAll(async () => {
  stack = await startTestStack({ subgraphs: ['users', 'books', 'reviews'] });
  db = new pg.Pool({ connectionString: stack.databases.reviews!.url });
  seller = (await mintedUser(stack, ['BUYER', 'SELLER'])).client;
});
afterAll(async () => {
  await db?.end();
  await stack?.stop();
});

/** A new book in the catalog that reviews already knows about. */
async function knownBook(title?: string): Promise<string> {
  const { id } = await createBook(seller, { title: title ?? 'A Reviewed Book', authors: ['Ann Author'] });
  await waitUntilKnown(db, [id]);
  return id;
}

const count = async (sql: string, values: unknown[] = []) => Number((await db.query<{ count: string }>(sql, values)).rows[0]!.count);

const EDIT = /* GraphQL */ `
  mutation Edit($input: EditReviewInput!) { editReview(input: $input) { review { id rating title body updatedAt } } }
`;
const DELETE = /* GraphQL */ `
  mutation Delete($id: ID!) { deleteReview(id: $id) { deletedReviewId book { id ratingCount averageRating } } }
`;
const HELPFUL = /* GraphQL */ `mutation Helpful($id: ID!) { markReviewHelpful(id: $id) { review { id helpfulCount } } }`;

describe('writing, editing and deleting reviews', () => {
  it('writes a review that the book, its author and the aggregates show', async () => {
    const bookId = await knownBook('The Reviewed One');
    const author = await signUp(stack, 'Rhea Reviewer');
    const review = await writeReview(author.client, bookId, 4, { title: '  Solid  ', body: ' Worth reading. ' });
    expect(review).toMatchObject({ rating: 4, title: 'Solid', body: 'Worth reading.', verifiedPurchase: false, helpfulCount: 0, author: { id: author.id }, book: { id: bookId } });

    const { book } = await author.client.data<{ book: Record<string, unknown> }>(
      `query($id: ID!) { book(id: $id) { title averageRating ratingCount ratingHistogram { stars count }
         myReview { id } reviews { totalCount edges { node { id title author { id displayName } } } } } }`,
      { id: bookId },
    );
    expect(book).toEqual({
      title: 'The Reviewed One',
      averageRating: 4,
      ratingCount: 1,
      ratingHistogram: histogram({ 4: 1 }),
      myReview: { id: review.id },
      reviews: { totalCount: 1, edges: [{ node: { id: review.id, title: 'Solid', author: { id: author.id, displayName: 'Rhea Reviewer' } } }] },
    });
    const { user } = await stack.client.data<{ user: { reviews: { totalCount: number; edges: { node: { id: string } }[] } } }>(
      `query($id: ID!) { user(id: $id) { reviews { totalCount edges { node { id } } } } }`,
      { id: author.id },
    );
    expect(user.reviews).toEqual({ totalCount: 1, edges: [{ node: { id: review.id } }] });
    // Anonymous callers have no review of their own.
    expect(await stack.client.data(`query($id: ID!) { book(id: $id) { myReview { id } } }`, { id: bookId })).toEqual({ book: { myReview: null } });
  });

  it('refuses a second review of the same book by the same user with CONFLICT, writing nothing', async () => {
    const bookId = await knownBook();
    const { client } = await mintedUser(stack);
    await writeReview(client, bookId, 5);
    expect(await client.errorCodes(WRITE_REVIEW, { input: { bookId, rating: 1, title: 'Again', body: 'Changed my mind.' } })).toEqual(['CONFLICT']);
    expect(await count('SELECT count(*) FROM reviews WHERE book_id = $1', [bookId])).toBe(1);
    expect(await ratingsOf(stack.client, bookId)).toMatchObject({ averageRating: 5, ratingCount: 1 });
  });

  it('refuses bad input with BAD_USER_INPUT and writes nothing', async () => {
    const bookId = await knownBook();
    const { client } = await mintedUser(stack);
    const attempts = [
      { rating: 0, title: 'Zero', body: 'Too low.' },
      { rating: 6, title: 'Six', body: 'Too high.' },
      { rating: 3, title: 'Empty', body: '' },
      { rating: 3, title: 'Blank', body: '   ' },
      { rating: 3, title: 'Long', body: 'x'.repeat(5001) },
      { rating: 3, title: '', body: 'No title.' },
      { rating: 3, title: 't'.repeat(121), body: 'Long title.' },
    ];
    for (const attempt of attempts) {
      const result = await client.request(WRITE_REVIEW, { input: { bookId, ...attempt } });
      expect(result.errors?.map((error) => error.extensions?.code), JSON.stringify(attempt)).toEqual(['BAD_USER_INPUT']);
    }
    const fields = (await client.request(WRITE_REVIEW, { input: { bookId, rating: 0, title: 'Zero', body: '' } })).errors?.[0]?.extensions?.fields;
    expect(fields).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'rating' }), expect.objectContaining({ field: 'body' })]));
    expect(await count('SELECT count(*) FROM reviews WHERE book_id = $1', [bookId])).toBe(0);
    expect(await count('SELECT count(*) FROM book_ratings WHERE book_id = $1', [bookId])).toBe(0);
    expect(await count(`SELECT count(*) FROM outbox_events WHERE envelope->'data'->>'bookId' = $1`, [bookId])).toBe(0);
    // The longest allowed body is fine.
    expect((await writeReview(client, bookId, 3, { body: 'x'.repeat(5000) })).body).toHaveLength(5000);
  });

  it('answers NOT_FOUND for a book the catalog does not have, and UNAUTHENTICATED without a session', async () => {
    const { client } = await mintedUser(stack);
    const input = { bookId: '0193a000-0000-7000-8000-0000000000ff', rating: 3, title: 'Ghost', body: 'Never published.' };
    expect(await client.errorCodes(WRITE_REVIEW, { input })).toEqual(['NOT_FOUND']);
    expect(await client.errorCodes(WRITE_REVIEW, { input: { ...input, bookId: 'not-an-id' } })).toEqual(['NOT_FOUND']);
    const bookId = await knownBook();
    expect(await stack.client.errorCodes(WRITE_REVIEW, { input: { ...input, bookId } })).toEqual(['UNAUTHENTICATED']);
    expect(await count('SELECT count(*) FROM reviews WHERE title = $1', ['Ghost'])).toBe(0);
  });

  it('lets only the author edit, and keeps the aggregates right', async () => {
    const bookId = await knownBook();
    const author = await mintedUser(stack);
    const other = await mintedUser(stack);
    const admin = await mintedUser(stack, ['BUYER', 'ADMIN']);
    const review = await writeReview(author.client, bookId, 2);
    await writeReview(other.client, bookId, 4);

    expect(await other.client.errorCodes(EDIT, { input: { id: review.id, rating: 5 } })).toEqual(['FORBIDDEN']);
    expect(await admin.client.errorCodes(EDIT, { input: { id: review.id, rating: 5 } })).toEqual(['FORBIDDEN']);
    expect(await author.client.errorCodes(EDIT, { input: { id: review.id, rating: 9 } })).toEqual(['BAD_USER_INPUT']);
    expect(await author.client.errorCodes(EDIT, { input: { id: '0193a000-0000-7000-8000-0000000000fe', rating: 5 } })).toEqual(['NOT_FOUND']);
    expect(await ratingsOf(stack.client, bookId)).toMatchObject({ averageRating: 3, ratingHistogram: histogram({ 2: 1, 4: 1 }) });

    const { editReview } = await author.client.data<{ editReview: { review: { rating: number; title: string; body: string; updatedAt: string } } }>(EDIT, {
      input: { id: review.id, rating: 5, title: 'Grew on me' },
    });
    expect(editReview.review).toMatchObject({ rating: 5, title: 'Grew on me', body: review.body });
    expect(Date.parse(editReview.review.updatedAt)).toBeGreaterThanOrEqual(Date.parse(review.updatedAt));
    expect(await ratingsOf(stack.client, bookId)).toEqual({ averageRating: 4.5, ratingCount: 2, ratingHistogram: histogram({ 5: 1, 4: 1 }) });
  });

  it('lets the author or an admin delete, and takes the rating out of the aggregates', async () => {
    const bookId = await knownBook();
    const author = await mintedUser(stack);
    const second = await mintedUser(stack);
    const stranger = await mintedUser(stack);
    const admin = await mintedUser(stack, ['BUYER', 'ADMIN']);
    const first = await writeReview(author.client, bookId, 1);
    const other = await writeReview(second.client, bookId, 5);

    expect(await stranger.client.errorCodes(DELETE, { id: first.id })).toEqual(['FORBIDDEN']);
    expect(await ratingsOf(stack.client, bookId)).toMatchObject({ ratingCount: 2, averageRating: 3 });

    const { deleteReview } = await author.client.data<{ deleteReview: unknown }>(DELETE, { id: first.id });
    expect(deleteReview).toEqual({ deletedReviewId: first.id, book: { id: bookId, ratingCount: 1, averageRating: 5 } });
    expect(await author.client.errorCodes(DELETE, { id: first.id })).toEqual(['NOT_FOUND']);

    await admin.client.data(DELETE, { id: other.id });
    expect(await ratingsOf(stack.client, bookId)).toEqual({ averageRating: null, ratingCount: 0, ratingHistogram: histogram({}) });
    // Once deleted, the author may review the book again.
    expect((await writeReview(author.client, bookId, 3)).rating).toBe(3);
  });

  it('counts a helpful mark once per user, never on one\'s own review', async () => {
    const bookId = await knownBook();
    const author = await mintedUser(stack);
    const reader = await mintedUser(stack);
    const review = await writeReview(author.client, bookId, 4);
    expect(await author.client.errorCodes(HELPFUL, { id: review.id })).toEqual(['FORBIDDEN']);
    const { markReviewHelpful } = await reader.client.data<{ markReviewHelpful: { review: { helpfulCount: number } } }>(HELPFUL, { id: review.id });
    expect(markReviewHelpful.review.helpfulCount).toBe(1);
    expect(await reader.client.errorCodes(HELPFUL, { id: review.id })).toEqual(['CONFLICT']);
    expect(await stack.client.errorCodes(HELPFUL, { id: review.id })).toEqual(['UNAUTHENTICATED']);
    const { review: read } = await stack.client.data<{ review: { helpfulCount: number } }>(`query($id: ID!) { review(id: $id) { helpfulCount } }`, { id: review.id });
    expect(read.helpfulCount).toBe(1);
  });
});

describe('aggregates', () => {
  it('stay exact under 50 concurrent reviews of one book', async () => {
    const bookId = await knownBook();
    const writers = await Promise.all(Array.from({ length: 50 }, () => mintedUser(stack)));
    const ratings = writers.map((_, index) => (index % 5) + 1); // ten of each star
    ratings[0] = 5; // eleven 5s and nine 1s: sum 154, mean 3.08
    await Promise.all(writers.map(({ client }, index) => writeReview(client, bookId, ratings[index]!)));
    const sum = ratings.reduce((total, rating) => total + rating, 0);
    expect(sum).toBe(154);
    expect(await ratingsOf(stack.client, bookId)).toEqual({
      averageRating: sum / 50,
      ratingCount: 50,
      ratingHistogram: histogram({ 5: 11, 4: 10, 3: 10, 2: 10, 1: 9 }),
    });
    const { rows } = await db.query('SELECT count, sum FROM book_ratings WHERE book_id = $1', [bookId]);
    expect(rows).toEqual([{ count: 50, sum: 154 }]);
  });
});

describe('pagination and sorts', () => {
  const PAGE = /* GraphQL */ `
    query Page($id: ID!, $first: Int, $after: String, $sort: ReviewSort) {
      book(id: $id) {
        reviews(first: $first, after: $after, sort: $sort) {
          totalCount
          pageInfo { hasNextPage hasPreviousPage endCursor }
          edges { cursor node { id rating helpfulCount } }
        }
      }
    }
  `;
  interface Page {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
    edges: { cursor: string; node: { id: string; rating: number; helpfulCount: number } }[];
  }
  const readPage = async (variables: Record<string, unknown>) => (await stack.client.data<{ book: { reviews: Page } }>(PAGE, variables)).book.reviews;

  async function readAll(bookId: string, sort: string, first: number): Promise<string[]> {
    const ids: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 20; pages++) {
      const page: Page = await readPage({ id: bookId, first, after, sort });
      ids.push(...page.edges.map(({ node }) => node.id));
      expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
      if (!page.pageInfo.hasNextPage) return ids;
      after = page.pageInfo.endCursor;
    }
    throw new Error('too many pages');
  }

  it('pages through every order without skipping or repeating a review', async () => {
    const bookId = await knownBook();
    const ratings = [3, 5, 1, 4, 5, 2, 3];
    const written: WrittenReview[] = [];
    for (const rating of ratings) written.push(await writeReview((await mintedUser(stack)).client, bookId, rating));
    // helpful marks: review 3 (4 stars) gets two, review 0 gets one.
    for (const [index, marks] of [[3, 2], [0, 1]] as const) {
      for (let mark = 0; mark < marks; mark++) await (await mintedUser(stack)).client.data(HELPFUL, { id: written[index]!.id });
    }
    const newestFirst = [...written].reverse().map(({ id }) => id);
    const byRating = (direction: 1 | -1) =>
      written
        .map((review, index) => ({ ...review, index }))
        .sort((a, b) => direction * (a.rating - b.rating) || b.index - a.index)
        .map(({ id }) => id);

    expect(await readAll(bookId, 'NEWEST', 3)).toEqual(newestFirst);
    expect(await readAll(bookId, 'HIGHEST', 2)).toEqual(byRating(-1));
    expect(await readAll(bookId, 'LOWEST', 3)).toEqual(byRating(1));
    const helpful = await readAll(bookId, 'MOST_HELPFUL', 4);
    expect(helpful.slice(0, 2)).toEqual([written[3]!.id, written[0]!.id]);
    expect(helpful.slice(2)).toEqual(newestFirst.filter((id) => id !== written[3]!.id && id !== written[0]!.id));

    const first = await readPage({ id: bookId, first: 3, sort: 'NEWEST' });
    expect(first).toMatchObject({ totalCount: 7, pageInfo: { hasNextPage: true, hasPreviousPage: false } });
    expect(first.pageInfo.endCursor).toBe(first.edges[2]!.cursor);
  });

  it('keeps a page boundary stable when reviews are written meanwhile', async () => {
    const bookId = await knownBook();
    const written: WrittenReview[] = [];
    for (let index = 0; index < 4; index++) written.push(await writeReview((await mintedUser(stack)).client, bookId, 3));
    const first = await readPage({ id: bookId, first: 2, sort: 'NEWEST' });
    await writeReview((await mintedUser(stack)).client, bookId, 3); // newer than everything: must not appear on page 2
    const second = await readPage({ id: bookId, first: 2, after: first.pageInfo.endCursor, sort: 'NEWEST' });
    expect(second.edges.map(({ node }) => node.id)).toEqual([written[1]!.id, written[0]!.id]);
    expect(second.pageInfo.hasNextPage).toBe(false);
  });

  it('refuses a bad page size or cursor with BAD_USER_INPUT', async () => {
    const bookId = await knownBook();
    const first = await readPage({ id: bookId, first: 1, sort: 'NEWEST' });
    expect(first.edges).toEqual([]);
    expect(await stack.client.errorCodes(PAGE, { id: bookId, first: 0 })).toEqual(['BAD_USER_INPUT']);
    expect(await stack.client.errorCodes(PAGE, { id: bookId, first: 101 })).toEqual(['BAD_USER_INPUT']);
    expect(await stack.client.errorCodes(PAGE, { id: bookId, first: 2, after: 'garbage' })).toEqual(['BAD_USER_INPUT']);
    await writeReview((await mintedUser(stack)).client, bookId, 4);
    const newest = await readPage({ id: bookId, first: 1, sort: 'NEWEST' });
    // A cursor of one order is not a cursor of another.
    expect(await stack.client.errorCodes(PAGE, { id: bookId, first: 2, after: newest.edges[0]!.cursor, sort: 'HIGHEST' })).toEqual(['BAD_USER_INPUT']);
  });
});
