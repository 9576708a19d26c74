/**
 * The searches of issue 15 and the SQL the books subgraph runs for each, shared by the search
 * benchmark (bench/search.ts) and its two-hop floor (bench/search-floor.ts).
 */
import type pg from 'pg';
import { BROAD_RELEVANCE_START, bookFilter, countMatchesQuery, facetsQuery, searchPageQuery, type BookSort } from '@bazaar/books/search-statements';

export interface SearchKind {
  filter: Record<string, unknown>;
  sort: BookSort;
  /** The page to time (20 books a page); the pages before it are walked once to get its cursor. */
  page: number;
}

/** What the search benchmark sends through its two-hop floor (bench/floor.ts): the search and the cursor of its page. */
export interface FloorRequest {
  search: SearchKind;
  after: string | null;
}

export const SEARCHES: Record<string, SearchKind> = {
  'typo ("midnight libary")': { filter: { query: 'midnight libary' }, sort: 'RELEVANCE', page: 1 },
  'common word ("story")': { filter: { query: 'story' }, sort: 'RELEVANCE', page: 1 },
  'author ("Writer 42")': { filter: { author: 'Writer 42' }, sort: 'TITLE', page: 1 },
  'genre + price sort': { filter: { genres: ['mystery'] }, sort: 'PRICE_ASC', page: 1 },
  'common word, page 50': { filter: { query: 'story' }, sort: 'RELEVANCE', page: 50 },
  'unfiltered browse': { filter: {}, sort: 'RELEVANCE', page: 1 },
  'unfiltered browse, newest': { filter: {}, sort: 'NEWEST', page: 1 },
};

/**
 * The statements the books subgraph runs for one search request, in the same order and overlap:
 * count and facets from the start, alongside the page, its books, then their authors. Returns
 * what they read, so a caller that answers with it sends as much as the subgraph does.
 */
export async function runStatements(pool: pg.Pool, search: SearchKind, after: string | null): Promise<{ books: unknown[]; authors: unknown[]; counts: unknown[] }> {
  const filter = bookFilter.parse(search.filter);
  const run = (query: { text: string; values: unknown[] }) => pool.query<{ id: string | null }>(query.text, query.values);
  const counts = Promise.all([run(countMatchesQuery(filter)), run(facetsQuery(filter))]);
  let { rows } = await run(searchPageQuery({ filter, sort: search.sort, first: 20, after }).query);
  if (rows.some((row) => row.id === null)) {
    ({ rows } = await run(searchPageQuery({ filter, sort: search.sort, first: 20, after: BROAD_RELEVANCE_START }).query));
  }
  const ids = rows.slice(0, 20).map((row) => row.id);
  const books = await pool.query('SELECT * FROM books WHERE id = ANY($1::uuid[])', [ids]);
  const authors = await pool.query(
    'SELECT ba.book_id, a.* FROM book_authors ba JOIN authors a ON a.id = ba.author_id WHERE ba.book_id = ANY($1::uuid[]) ORDER BY ba.book_id, ba.position',
    [ids],
  );
  return { books: books.rows, authors: authors.rows, counts: (await counts).map((result) => result.rows) };
}
