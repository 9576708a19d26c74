import { Prisma } from '../generated/prisma/client';
import { readRows, type Reads } from './reads';
import { cursorValue, decodeCursor, encodeCursor, isUuid } from '@bazaar/service';
import { CATALOG_CURRENCY, type BookFilter } from './rules';

export type BookSort = 'RELEVANCE' | 'PRICE_ASC' | 'PRICE_DESC' | 'NEWEST' | 'TITLE';

const { sql, join } = Prisma;

/**
 * Every filter as one SQL predicate over `books b`. Each has an index: the tsvector and trigram GIN
 * indexes for `query`, the genres GIN, (language, id), (in_stock, id), book_authors(author_id),
 * authors' name trigrams, and listings(book_id, …) for offer filters.
 */
export function filterPredicate(filter: BookFilter): Prisma.Sql {
  const predicates: Prisma.Sql[] = [];
  if (filter.query) {
    predicates.push(
      // title_resembles (migration facet_summary): word_similarity ≥ 0.45, costed so that the planner
      // reads the trigram index for `<%` rather than computing every title's trigrams.
      sql`(b.search_vector @@ websearch_to_tsquery('english', ${filter.query})
           OR (${filter.query} <% b.title AND title_resembles(${filter.query}, b.title)))`,
    );
  }
  if (filter.authorId) {
    predicates.push(
      isUuid(filter.authorId)
        ? sql`EXISTS (SELECT 1 FROM book_authors ba WHERE ba.book_id = b.id AND ba.author_id = ${filter.authorId}::uuid)`
        : sql`FALSE`,
    );
  }
  if (filter.author) {
    const pattern = `%${filter.author.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
    predicates.push(
      sql`EXISTS (SELECT 1 FROM book_authors ba JOIN authors a ON a.id = ba.author_id
                  WHERE ba.book_id = b.id AND a.name ILIKE ${pattern})`,
    );
  }
  if (filter.genres && filter.genres.length > 0) predicates.push(sql`b.genres && ${filter.genres}::text[]`);
  if (filter.language) predicates.push(sql`b.language = ${filter.language}`);
  if (filter.inStock !== null && filter.inStock !== undefined) predicates.push(sql`b.in_stock = ${filter.inStock}`);
  const offer: Prisma.Sql[] = [];
  if (filter.conditions && filter.conditions.length > 0) {
    offer.push(sql`l.condition = ANY(${filter.conditions}::"ListingCondition"[])`);
  }
  if (filter.price) {
    offer.push(sql`l.currency = ${filter.price.currency ?? CATALOG_CURRENCY}`);
    if (filter.price.min !== null && filter.price.min !== undefined) offer.push(sql`l.price_amount >= ${filter.price.min}`);
    if (filter.price.max !== null && filter.price.max !== undefined) offer.push(sql`l.price_amount <= ${filter.price.max}`);
  }
  if (offer.length > 0) {
    predicates.push(
      sql`EXISTS (SELECT 1 FROM listings l WHERE l.book_id = b.id AND l.status = 'ACTIVE' AND l.quantity > 0 AND ${join(offer, ' AND ')})`,
    );
  }
  return predicates.length > 0 ? join(predicates, ' AND ') : sql`TRUE`;
}

/** The value of a sort key in a cursor: a number, a title, a timestamp, or null (a book without a price). */
type SortKey = string | number | null;

interface SortPlan {
  /** The sort key as a column of the inner query (`key`), or null for sorts on id alone. */
  key: Prisma.Sql;
  order: Prisma.Sql;
  after(key: SortKey, id: string): Prisma.Sql;
  /** Turns the raw key read back from Postgres into what the cursor carries. */
  cursorKey(raw: unknown): SortKey;
  /** Whether a cursor's key is one this sort wrote. */
  validKey(value: unknown): boolean;
}

function sortPlan(sort: BookSort, query: string | undefined): SortPlan {
  switch (sort) {
    case 'RELEVANCE':
      if (!query) return sortPlan('TITLE', query);
      return {
        // ts_rank_cd and word_similarity are float4; as float8 they round-trip exactly through JSON.
        key: sql`(ts_rank_cd(b.search_vector, websearch_to_tsquery('english', ${query})) + word_similarity(${query}, b.title))::float8`,
        order: sql`key DESC, id ASC`,
        after: (key, id) => sql`(key < ${Number(key)}::float8 OR (key = ${Number(key)}::float8 AND id > ${id}::uuid))`,
        cursorKey: (raw) => Number(raw),
        validKey: cursorValue.number,
      };
    case 'TITLE':
      return {
        key: sql`b.title`,
        order: sql`key ASC, id ASC`,
        after: (key, id) => sql`(key, id) > (${String(key)}, ${id}::uuid)`,
        cursorKey: (raw) => String(raw),
        validKey: cursorValue.string,
      };
    case 'NEWEST':
      return {
        key: sql`b.created_at`,
        order: sql`key DESC, id DESC`,
        after: (key, id) => sql`(key, id) < (${String(key)}::timestamptz, ${id}::uuid)`,
        cursorKey: (raw) => (raw as Date).toISOString(),
        validKey: cursorValue.timestamp,
      };
    case 'PRICE_ASC':
    case 'PRICE_DESC': {
      const ascending = sort === 'PRICE_ASC';
      return {
        key: sql`b.lowest_price_amount`,
        order: ascending ? sql`key ASC NULLS LAST, id ASC` : sql`key DESC NULLS LAST, id ASC`,
        after: (key, id) =>
          key === null
            ? sql`(key IS NULL AND id > ${id}::uuid)`
            : ascending
              ? sql`(key > ${Number(key)} OR (key = ${Number(key)} AND id > ${id}::uuid) OR key IS NULL)`
              : sql`(key < ${Number(key)} OR (key = ${Number(key)} AND id > ${id}::uuid) OR key IS NULL)`,
        cursorKey: (raw) => (raw === null ? null : Number(raw)),
        validKey: cursorValue.nullable(cursorValue.integer),
      };
    }
  }
}

/**
 * A search reads at most this many matches (+1, to know there are more) for each of its ranking,
 * count and facets, so that a broad query (a word a quarter of the catalog holds) costs the same as
 * a narrow one. RELEVANCE ranks every match only while at most this many match: a broader query
 * scores nearly the same on every match, so it lists its matches newest first instead
 * (docs/catalog.md "Search"), read from the (created_at, id) index with keyset cursors.
 */
export const MATCH_LIMIT = 1_000;

interface PageOptions {
  filter: BookFilter;
  sort: BookSort;
  first: number;
  after: string | null;
}

type PageRow = { id: string; cursor: string };

/**
 * One page of matching book ids with their cursors, and one more when there is a next page: a
 * keyset query (`WHERE (key, id) > cursor ORDER BY … LIMIT n+1`) that each sort's index answers.
 * A RELEVANCE search's first page ranks at most MATCH_LIMIT + 1 matches; when that many
 * match, a second statement lists them newest first.
 */
export async function searchPage(db: Reads, options: PageOptions): Promise<PageRow[]> {
  const page = searchPageQuery(options);
  const rows = await readRows<{ id: string | null; key: unknown }>(db, page.query);
  if (rows.some((row) => row.id === null)) return searchPage(db, { ...options, after: BROAD_RELEVANCE_START });
  return rows.map((row) => ({ id: row.id!, cursor: encodeCursor(page.list, [page.cursorKey(row.key), row.id]) }));
}

/** Where a broad RELEVANCE search starts: a cursor before the newest possible book. */
export const BROAD_RELEVANCE_START = encodeCursor('books:RELEVANCE', ['9999-12-31T00:00:00.000Z', 'ffffffff-ffff-ffff-ffff-ffffffffffff']);

/**
 * The page statement itself (also what the plan checks EXPLAIN). For RELEVANCE with a query the
 * cursor's key says how the walk goes: a score (ranked), a timestamp (broad, newest first), none
 * (the bounded first statement, which answers one row with a null id when the search is broad).
 */
export function searchPageQuery(options: PageOptions) {
  const effectiveSort = options.sort === 'RELEVANCE' && !options.filter.query ? 'TITLE' : options.sort;
  const list = `books:${effectiveSort}`;
  const ranked = effectiveSort === 'RELEVANCE';
  const validKey = ranked ? (value: unknown) => cursorValue.number(value) || cursorValue.timestamp(value) : sortPlan(effectiveSort, undefined).validKey;
  const position = decodeCursor(options.after, list, [validKey, cursorValue.uuid]);
  const broad = ranked && typeof position?.[0] === 'string';
  const plan = sortPlan(broad ? 'NEWEST' : effectiveSort, options.filter.query);
  const predicate = filterPredicate(options.filter);
  if (ranked && !position) return { query: boundedRankingQuery(plan, predicate, options.first), list, cursorKey: plan.cursorKey };
  const query = sql`
    SELECT id, key FROM (
      SELECT b.id, ${plan.key} AS key FROM books b WHERE ${predicate}
    ) matched
    WHERE ${position ? plan.after(position[0]!, String(position[1])) : sql`TRUE`}
    ORDER BY ${plan.order}
    LIMIT ${options.first + 1}`;
  return { query, list, cursorKey: plan.cursorKey };
}

/**
 * The first RELEVANCE page: the first MATCH_LIMIT + 1 matches the indexes give, ranked only
 * when they are all the matches; otherwise one row with a null id says the search is broad.
 */
function boundedRankingQuery(plan: SortPlan, predicate: Prisma.Sql, first: number): Prisma.Sql {
  return sql`
    WITH candidates AS MATERIALIZED (
      SELECT b.id, b.search_vector, b.title FROM books b WHERE ${predicate} LIMIT ${MATCH_LIMIT + 1})
    (SELECT id, key FROM (
       SELECT b.id, ${plan.key} AS key FROM candidates b WHERE (SELECT count(*) FROM candidates) <= ${MATCH_LIMIT}
     ) ranked
     ORDER BY ${plan.order} LIMIT ${first + 1})
    UNION ALL
    SELECT NULL, NULL WHERE (SELECT count(*) FROM candidates) > ${MATCH_LIMIT}`;
}
