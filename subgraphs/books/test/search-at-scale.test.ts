import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@bazaar/testing';
import { createPrismaClient } from '@bazaar/bootstrap';
import { PrismaClient, type Prisma } from '../src/generated/prisma/client';
import { bookFilter } from '../src/domain/rules';
import { generatedCatalogSql } from '../src/domain/generated-catalog';
import { MATCH_LIMIT, searchPage, searchPageQuery, type BookSort } from '../src/domain/search';
import { BROWSE_COUNT_LIMIT, countMatches, countMatchesQuery, facetsQuery } from '../src/domain/search-facets';

/**
 * Search on a 100,000-book catalog (generatedCatalogSql): every
 * search of the list is answered from indexes, never by reading the catalog or its listings
 * sequentially; the unfiltered and single-genre browse count from the facet summary, other searches
 * read at most MATCH_LIMIT + 1 matches for their ranking, count and facets. Prints each statement's time.
 */
const CATALOG_SIZE = 100_000;
let database: TestDatabase;
let pool: pg.Pool;
let db: PrismaClient;

beforeAll(async () => {
  database = await createTestDatabase(inject('postgresAdminUrl'), 'books');
  pool = new pg.Pool({ connectionString: database.url, max: 2 });
  db = createPrismaClient((options) => new PrismaClient(options), database.url);
  await pool.query(generatedCatalogSql(CATALOG_SIZE));
}, 600_000);
afterAll(async () => {
  await db?.$disconnect();
  await pool?.end();
  await database?.drop();
});

interface Search {
  filter: Record<string, unknown>;
  sort: BookSort;
  /** Which pages to walk past first (page 50 of 20). */
  page?: number;
  /**
   * An index the page statement's plan must read, or null where several may serve: the first
   * RELEVANCE page of a common word reads its first MATCH_LIMIT + 1 matches from both text indexes.
   */
  index: RegExp | null;
  /** Whether count and facets come from the facet summary (no matching books read at all). */
  summary?: boolean;
}

const SEARCHES: Record<string, Search> = {
  'typo ("midnight libary")': { filter: { query: 'midnight libary' }, sort: 'RELEVANCE', index: /books_title_trgm_idx/ },
  'common word ("story", 25,000 matches)': { filter: { query: 'story' }, sort: 'RELEVANCE', index: null },
  'author ("Writer 42")': { filter: { author: 'Writer 42' }, sort: 'TITLE', index: /authors_name_trgm_idx|books_title_sort_idx/ },
  'genre + price sort': { filter: { genres: ['mystery'] }, sort: 'PRICE_ASC', index: /books_price_asc_idx|books_genres_idx/, summary: true },
  'common word, page 50': { filter: { query: 'story' }, sort: 'RELEVANCE', page: 50, index: /books_newest_idx/ },
  'unfiltered browse': { filter: {}, sort: 'RELEVANCE', index: /books_title_sort_idx/, summary: true },
  'unfiltered browse, newest': { filter: {}, sort: 'NEWEST', index: /books_newest_idx/, summary: true },
};

async function explain(query: Prisma.Sql): Promise<{ plan: string; ms: number }> {
  const { rows } = await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS OFF) ${query.text}`, query.values);
  const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
  return { plan, ms: Number(/Execution Time: ([\d.]+) ms/.exec(plan)?.[1]) };
}

/** How many catalog rows the plan's scans of `books` (heap, bitmap heap, index) hand on, over all loops. */
function booksRead(plan: string): number {
  let read = 0;
  for (const line of plan.split('\n')) {
    const scan = /(?:Scan|Scan using \S+) on books .*actual time=[\d.]+\.\.[\d.]+ rows=([\d.]+) loops=(\d+)/.exec(line);
    if (scan && !/Bitmap Index Scan/.test(line)) read += Number(scan[1]) * Number(scan[2]);
  }
  return read;
}

describe(`search on ${CATALOG_SIZE.toLocaleString('en')} books`, () => {
  it.each(Object.entries(SEARCHES))('%s: the page, count and facets read indexes, not the whole catalog', async (name, search) => {
    const filter = bookFilter.parse(search.filter);
    let after: string | null = null;
    for (let skip = ((search.page ?? 1) - 1) * 20; skip > 0; skip -= 100) {
      const rows = await searchPage(db, { filter, sort: search.sort, first: Math.min(100, skip), after });
      after = rows[Math.min(100, skip) - 1]!.cursor;
    }
    const page = await explain(searchPageQuery({ filter, sort: search.sort, first: 20, after }).query);
    const count = await explain(countMatchesQuery(filter));
    const facets = await explain(facetsQuery(filter));
    console.log(`${name}: SQL page ${page.ms.toFixed(1)} ms, count ${count.ms.toFixed(1)} ms, facets ${facets.ms.toFixed(1)} ms`);
    if (search.index) expect(page.plan, page.plan).toMatch(search.index);
    for (const { plan } of [page, count, facets]) expect(plan, plan).not.toMatch(/Seq Scan on (books|listings)/);
    if (search.summary) {
      for (const { plan } of [count, facets]) expect(plan, plan).toMatch(/on book_facet_counts/);
    } else {
      // Parallel workers may hand on a few rows past the LIMIT before they stop.
      for (const { plan } of [count, facets]) expect(booksRead(plan), plan).toBeLessThanOrEqual(2 * MATCH_LIMIT);
    }
    const rows = await searchPage(db, { filter, sort: search.sort, first: 20, after });
    expect(rows.length).toBeGreaterThan(0);
  });

  it('ranks a query with few matches, and lists a common word\'s matches newest first', async () => {
    const rare = await searchPage(db, { filter: bookFilter.parse({ query: 'midnight library' }), sort: 'RELEVANCE', first: 20, after: null });
    expect(rare).toHaveLength(10);
    const common = await searchPage(db, { filter: bookFilter.parse({ query: 'story' }), sort: 'RELEVANCE', first: 20, after: null });
    const { rows: newest } = await pool.query<{ id: string }>(
      `SELECT id FROM books WHERE search_vector @@ websearch_to_tsquery('english', 'story') ORDER BY created_at DESC, id DESC LIMIT 21`,
    );
    expect(common.map(({ id }) => id)).toEqual(newest.map(({ id }) => id));
  });

  it('keeps the facet summary equal to a count from scratch after the bulk load', async () => {
    const { rows } = await pool.query(`
      (SELECT scope, kind, value, count FROM book_facet_counts WHERE count <> 0 EXCEPT SELECT * FROM book_facet_counts_from_scratch())
      UNION ALL
      (SELECT * FROM book_facet_counts_from_scratch() EXCEPT SELECT scope, kind, value, count FROM book_facet_counts)`);
    expect(rows).toEqual([]);
  });

  it('counts exactly up to the limit and says when it stopped', async () => {
    expect(await countMatches(db, bookFilter.parse({ query: 'midnight library' }))).toEqual({ count: 10, exact: true });
    expect(await countMatches(db, bookFilter.parse({ query: 'story' }))).toEqual({ count: MATCH_LIMIT, exact: false });
    expect(await countMatches(db, bookFilter.parse({}))).toEqual({ count: BROWSE_COUNT_LIMIT, exact: false });
    expect(await countMatches(db, bookFilter.parse({ genres: ['mystery'], language: 'de' }))).toEqual({ count: MATCH_LIMIT, exact: false });
  });
});
