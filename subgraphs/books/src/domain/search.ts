import { Prisma, type PrismaClient } from '../generated/prisma/client';
import { cursorValue, decodeCursor, encodeCursor, isUuid } from '@bazaar/service';
import { CATALOG_CURRENCY, type BookFilter } from './rules';
import type { BookFacetsModel } from './types';

export type BookSort = 'RELEVANCE' | 'PRICE_ASC' | 'PRICE_DESC' | 'NEWEST' | 'TITLE';

/** Below this word similarity a title is not taken for a misspelling of the query. */
const TITLE_SIMILARITY_THRESHOLD = 0.45;

const { sql, join } = Prisma;

/**
 * Every filter as one SQL predicate over `books b`. Each has an index: the tsvector and trigram GIN
 * indexes for `query`, the genres GIN, (language, id), (in_stock, id), book_authors(author_id),
 * authors' name trigrams, and listings(book_id, …) for offer filters.
 */
function filterPredicate(filter: BookFilter): Prisma.Sql {
  const predicates: Prisma.Sql[] = [];
  if (filter.query) {
    predicates.push(
      sql`(b.search_vector @@ websearch_to_tsquery('english', ${filter.query})
           OR (${filter.query} <% b.title AND word_similarity(${filter.query}, b.title) >= ${TITLE_SIMILARITY_THRESHOLD}))`,
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
 * One page of matching book ids with their cursors, and one more when there is a next page: a
 * keyset query (`WHERE (key, id) > cursor ORDER BY … LIMIT n+1`) that each sort's index answers.
 */
export async function searchPage(
  db: PrismaClient,
  options: { filter: BookFilter; sort: BookSort; first: number; after: string | null },
): Promise<{ id: string; cursor: string }[]> {
  const { query, list, cursorKey } = searchPageQuery(options);
  const rows = await db.$queryRaw<{ id: string; key: unknown }[]>(query);
  return rows.map((row) => ({ id: row.id, cursor: encodeCursor(list, [cursorKey(row.key), row.id]) }));
}

/** The page statement itself (also what the plan checks EXPLAIN). */
export function searchPageQuery(options: { filter: BookFilter; sort: BookSort; first: number; after: string | null }) {
  const effectiveSort = options.sort === 'RELEVANCE' && !options.filter.query ? 'TITLE' : options.sort;
  const plan = sortPlan(effectiveSort, options.filter.query);
  const list = `books:${effectiveSort}`;
  const position = decodeCursor(options.after, list, [plan.validKey, cursorValue.uuid]);
  const query = sql`
    SELECT id, key FROM (
      SELECT b.id, ${plan.key} AS key FROM books b WHERE ${filterPredicate(options.filter)}
    ) matched
    WHERE ${position ? plan.after(position[0]!, String(position[1])) : sql`TRUE`}
    ORDER BY ${plan.order}
    LIMIT ${options.first + 1}`;
  return { query, list, cursorKey: plan.cursorKey };
}

/**
 * Counts and facets stop at this many matching books: a broad search ("story", the unfiltered
 * browse) would otherwise count the whole catalog on every request. Beyond it `totalCount` is this
 * number with `totalCountIsExact: false`, and facets count the first this-many matches.
 */
export const EXACT_COUNT_LIMIT = 10_000;

/** How many books match, exactly up to EXACT_COUNT_LIMIT. */
export async function countMatches(db: PrismaClient, filter: BookFilter): Promise<{ count: number; exact: boolean }> {
  const [row] = await db.$queryRaw<{ count: bigint }[]>(countMatchesQuery(filter));
  const count = Number(row?.count ?? 0);
  return count > EXACT_COUNT_LIMIT ? { count: EXACT_COUNT_LIMIT, exact: false } : { count, exact: true };
}

export const countMatchesQuery = (filter: BookFilter) =>
  sql`SELECT count(*) AS count FROM (SELECT 1 FROM books b WHERE ${filterPredicate(filter)} LIMIT ${EXACT_COUNT_LIMIT + 1}) matched`;

/**
 * Facets over the matching books (the first EXACT_COUNT_LIMIT of them), genre, language and
 * condition counts and the price range, in one statement.
 */
export async function facets(db: PrismaClient, filter: BookFilter): Promise<BookFacetsModel> {
  const currency = filter.price?.currency ?? CATALOG_CURRENCY;
  const rows = await db.$queryRaw<{ kind: string; value: string | null; count: bigint | null; min: number | null; max: number | null }[]>(
    facetsQuery(filter),
  );
  const byKind = (kind: string) =>
    rows
      .filter((row) => row.kind === kind)
      .map((row) => ({ value: row.value!, count: Number(row.count) }))
      .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
  const range = rows.find((row) => row.kind === 'price');
  return {
    genres: byKind('genre'),
    languages: byKind('language'),
    conditions: byKind('condition'),
    price:
      range && range.min !== null && range.max !== null
        ? { min: { amount: Number(range.min), currency }, max: { amount: Number(range.max), currency } }
        : null,
  };
}

export function facetsQuery(filter: BookFilter): Prisma.Sql {
  const currency = filter.price?.currency ?? CATALOG_CURRENCY;
  return sql`
    WITH matched AS MATERIALIZED (SELECT b.id, b.genres, b.language FROM books b WHERE ${filterPredicate(filter)} LIMIT ${EXACT_COUNT_LIMIT}),
    offers AS MATERIALIZED (
      SELECT l.book_id, l.condition, l.currency, l.price_amount FROM listings l JOIN matched ON matched.id = l.book_id
       WHERE l.status = 'ACTIVE' AND l.quantity > 0)
    SELECT 'genre' AS kind, genre AS value, count(*) AS count, NULL::int AS min, NULL::int AS max
      FROM matched, unnest(matched.genres) AS genre GROUP BY genre
    UNION ALL
    SELECT 'language', language, count(*), NULL, NULL FROM matched GROUP BY language
    UNION ALL
    SELECT 'condition', condition::text, count(DISTINCT book_id), NULL, NULL FROM offers GROUP BY condition
    UNION ALL
    SELECT 'price', NULL, NULL, min(price_amount), max(price_amount) FROM offers WHERE currency = ${currency}`;
}
