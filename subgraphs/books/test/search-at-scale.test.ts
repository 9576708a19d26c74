import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@bazaar/testing';
import { createPrismaClient } from '@bazaar/bootstrap';
import { PrismaClient, type Prisma } from '../src/generated/prisma/client';
import { bookFilter } from '../src/domain/rules';
import { countMatches, countMatchesQuery, EXACT_COUNT_LIMIT, facetsQuery, searchPage, searchPageQuery, type BookSort } from '../src/domain/search';

/**
 * Search on a 100,000-book catalog (generated in SQL, not through 100,000 Prisma creates): every
 * search of the list is answered from an index, never by reading the whole catalog, and its
 * count and facets stop at EXACT_COUNT_LIMIT matches. Prints each statement's own execution time.
 */
const CATALOG_SIZE = 100_000;
let database: TestDatabase;
let pool: pg.Pool;
let db: PrismaClient;

beforeAll(async () => {
  database = await createTestDatabase(inject('postgresAdminUrl'), 'books');
  pool = new pg.Pool({ connectionString: database.url, max: 2 });
  db = createPrismaClient((options) => new PrismaClient(options), database.url);
  await pool.query(`
    INSERT INTO authors (id, name, name_key)
      SELECT uuidv7(), 'Writer ' || i, 'writer ' || i FROM generate_series(1, 5000) AS i;
    INSERT INTO books (id, isbn13, title, author_names, description, genres, language, lowest_price_amount, in_stock, created_at, updated_at)
      SELECT uuidv7(), '978' || lpad(i::text, 10, '0'),
             CASE WHEN i % 10000 = 7 THEN 'The Midnight Library'
                  ELSE (ARRAY['Silent','Broken','Golden','Hidden','Last','Winter','Secret','Distant'])[1 + i % 8] || ' ' ||
                       (ARRAY['river','garden','empire','letters','kingdom','voyage','harbour','orchard','machine','city'])[1 + (i / 8) % 10] ||
                       CASE WHEN i % 4 = 0 THEN ' story' ELSE '' END || ' ' || i END,
             'Writer ' || (1 + i % 5000), 'A generated book for the search plans.',
             ARRAY[(ARRAY['fiction','mystery','fantasy','history','science','poetry','romance','travel'])[1 + i % 8]],
             (ARRAY['en','de','fr','es'])[1 + i % 4],
             CASE WHEN i % 3 = 0 THEN NULL ELSE 300 + (i * 37) % 5000 END, i % 3 <> 0,
             now() - i * interval '1 minute', now()
        FROM generate_series(1, ${CATALOG_SIZE}) AS i;
    INSERT INTO book_authors (book_id, author_id, position)
      SELECT b.id, a.id, 0 FROM books b JOIN authors a ON a.name = b.author_names;
    INSERT INTO listings (id, book_id, seller_id, condition, price_amount, currency, quantity, updated_at)
      SELECT uuidv7(), id, gen_random_uuid(), (ARRAY['NEW','GOOD','ACCEPTABLE']::"ListingCondition"[])[1 + abs(hashtext(id::text)) % 3],
             lowest_price_amount, 'EUR', 1, now()
        FROM books WHERE in_stock;
    ANALYZE;`);
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
   * An index the page statement's plan must read, or null where it does not yet: RELEVANCE on a
   * word a quarter of the catalog holds ranks every match (docs/performance.md, not yet done).
   */
  index: RegExp | null;
}

const SEARCHES: Record<string, Search> = {
  'typo ("midnight libary")': { filter: { query: 'midnight libary' }, sort: 'RELEVANCE', index: /books_title_trgm_idx/ },
  'common word ("story", 25,000 matches)': { filter: { query: 'story' }, sort: 'RELEVANCE', index: null },
  'author ("Writer 42")': { filter: { author: 'Writer 42' }, sort: 'TITLE', index: /authors_name_trgm_idx|books_title_sort_idx/ },
  'genre + price sort': { filter: { genres: ['mystery'] }, sort: 'PRICE_ASC', index: /books_price_asc_idx|books_genres_idx/ },
  'common word, page 50': { filter: { query: 'story' }, sort: 'RELEVANCE', page: 50, index: null },
  'unfiltered browse': { filter: {}, sort: 'RELEVANCE', index: /books_title_sort_idx/ },
  'unfiltered browse, newest': { filter: {}, sort: 'NEWEST', index: /books_newest_idx/ },
};

async function explain(query: Prisma.Sql): Promise<{ plan: string; ms: number }> {
  const { rows } = await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS OFF) ${query.text}`, query.values);
  const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
  return { plan, ms: Number(/Execution Time: ([\d.]+) ms/.exec(plan)?.[1]) };
}

/**
 * How many catalog rows the plan's sequential scans of `books` read (kept and filtered out). A scan
 * stopped early by a LIMIT reads few; one through the whole catalog reads all 100,000.
 */
function booksReadBySeqScan(plan: string): number {
  let read = 0;
  const lines = plan.split('\n');
  lines.forEach((line, index) => {
    const scan = /Seq Scan on books .*actual time=[\d.]+\.\.[\d.]+ rows=(\d+) loops=(\d+)/.exec(line);
    if (!scan) return;
    const removed = /Rows Removed by Filter: (\d+)/.exec(lines[index + 1] ?? '') ?? /Rows Removed by Filter: (\d+)/.exec(lines[index + 2] ?? '');
    read += (Number(scan[1]) + Number(removed?.[1] ?? 0)) * Number(scan[2]);
  });
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
    if (search.index) {
      expect(page.plan, page.plan).toMatch(search.index);
      expect(page.plan, page.plan).not.toMatch(/Seq Scan on books/);
    }
    expect(booksReadBySeqScan(count.plan), count.plan).toBeLessThanOrEqual(EXACT_COUNT_LIMIT + 1);
    expect(booksReadBySeqScan(facets.plan), facets.plan).toBeLessThanOrEqual(EXACT_COUNT_LIMIT);
    const rows = await searchPage(db, { filter, sort: search.sort, first: 20, after });
    expect(rows.length).toBeGreaterThan(0);
  });

  it('counts exactly up to the limit and says when it stopped', async () => {
    expect(await countMatches(db, bookFilter.parse({ query: 'midnight library' }))).toEqual({ count: 10, exact: true });
    expect(await countMatches(db, bookFilter.parse({ query: 'story' }))).toEqual({ count: EXACT_COUNT_LIMIT, exact: false });
  });
});
