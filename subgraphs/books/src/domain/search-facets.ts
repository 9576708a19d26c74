import { Prisma } from '../generated/prisma/client';
import { readRows, type Reads } from './reads';
import { CATALOG_CURRENCY, type BookFilter } from './rules';
import { filterPredicate, MATCH_LIMIT } from './search';
import type { BookFacetsModel } from './types';

const { sql } = Prisma;

/**
 * The unfiltered and single-genre browse count from the summary, exactly up to this many books;
 * beyond it `totalCount` is this number with `totalCountIsExact: false` (what the schema promises).
 * Other searches count their matches themselves, up to MATCH_LIMIT.
 */
export const BROWSE_COUNT_LIMIT = 10_000;

/**
 * The facet summary's scope that answers this filter exactly: '' for the unfiltered browse, the
 * genre for a browse of one genre, null when the filter needs the matching books themselves.
 */
function summaryScope(filter: BookFilter): string | null {
  const { genres, ...rest } = filter;
  const others = Object.values(rest).some((value) => value !== null && value !== undefined && !(Array.isArray(value) && value.length === 0));
  if (others) return null;
  if (!genres || genres.length === 0) return '';
  return genres.length === 1 ? genres[0]! : null;
}

/** How many books match, exactly up to BROWSE_COUNT_LIMIT (browse) or MATCH_LIMIT (other searches). */
export async function countMatches(db: Reads, filter: BookFilter): Promise<{ count: number; exact: boolean }> {
  const [row] = await readRows<{ count: bigint | number | string }>(db, countMatchesQuery(filter));
  const count = Number(row?.count ?? 0);
  const limit = countLimit(filter);
  return count > limit ? { count: limit, exact: false } : { count, exact: true };
}

/** Where counting stops for this filter. */
const countLimit = (filter: BookFilter) => (summaryScope(filter) === null ? MATCH_LIMIT : BROWSE_COUNT_LIMIT);

export function countMatchesQuery(filter: BookFilter): Prisma.Sql {
  const scope = summaryScope(filter);
  if (scope !== null) {
    return sql`SELECT coalesce((SELECT count FROM book_facet_counts WHERE scope = ${scope} AND kind = 'book' AND value = ''), 0) AS count`;
  }
  return sql`SELECT count(*) AS count FROM (SELECT 1 FROM books b WHERE ${filterPredicate(filter)} LIMIT ${MATCH_LIMIT + 1}) matched`;
}

type FacetRow = { kind: string; value: string | null; count: bigint | number | string | null; min: number | null; max: number | null };

/**
 * Genre, language and condition counts and the price range of the matching books, in one statement:
 * from the summary for the unfiltered and single-genre browse, else over the first
 * MATCH_LIMIT matches (a `matched` row says how many there were, up to one more).
 */
export async function facets(db: Reads, filter: BookFilter): Promise<BookFacetsModel> {
  const currency = filter.price?.currency ?? CATALOG_CURRENCY;
  const rows = await readRows<FacetRow>(db, facetsQuery(filter));
  const byKind = (kind: string) =>
    rows
      .filter((row) => row.kind === kind)
      .map((row) => ({ value: row.value!, count: Number(row.count) }))
      .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
  const range = rows.find((row) => row.kind === 'price');
  const matched = rows.find((row) => row.kind === 'matched');
  return {
    genres: byKind('genre'),
    languages: byKind('language'),
    conditions: byKind('condition'),
    price:
      range && range.min !== null && range.max !== null
        ? { min: { amount: Number(range.min), currency }, max: { amount: Number(range.max), currency } }
        : null,
    countsAreExact: !matched || Number(matched.count) <= MATCH_LIMIT,
  };
}

export function facetsQuery(filter: BookFilter): Prisma.Sql {
  const currency = filter.price?.currency ?? CATALOG_CURRENCY;
  const scope = summaryScope(filter);
  if (scope !== null) return summaryFacetsQuery(scope, currency);
  return sql`
    WITH matched AS MATERIALIZED (
      SELECT b.id, b.genres, b.language FROM books b WHERE ${filterPredicate(filter)} LIMIT ${MATCH_LIMIT + 1}),
    sample AS MATERIALIZED (SELECT * FROM matched LIMIT ${MATCH_LIMIT}),
    -- Each sampled book's offers by the listings (book_id, status, condition) index: OFFSET 0 keeps the
    -- planner from turning this into a hash join over every listing of the catalog.
    offers AS MATERIALIZED (
      SELECT o.* FROM sample CROSS JOIN LATERAL (
        SELECT l.book_id, l.condition, l.currency, l.price_amount FROM listings l
         WHERE l.book_id = sample.id AND l.status = 'ACTIVE' AND l.quantity > 0 OFFSET 0) o)
    SELECT 'genre' AS kind, genre AS value, count(*) AS count, NULL::int AS min, NULL::int AS max
      FROM sample, unnest(sample.genres) AS genre GROUP BY genre
    UNION ALL
    SELECT 'language', language, count(*), NULL, NULL FROM sample GROUP BY language
    UNION ALL
    SELECT 'condition', condition::text, count(DISTINCT book_id), NULL, NULL FROM offers GROUP BY condition
    UNION ALL
    SELECT 'price', NULL, NULL, min(price_amount), max(price_amount) FROM offers WHERE currency = ${currency}
    UNION ALL
    SELECT 'matched', NULL, count(*), NULL, NULL FROM matched`;
}

/**
 * Facets from the summary (kept by the catalog's own writes), and the price range read from the ends
 * of the listings' (status, currency, price) index: a few index reads, whatever the catalog's size.
 */
function summaryFacetsQuery(scope: string, currency: string): Prisma.Sql {
  const inScope = scope === '' ? sql`TRUE` : sql`EXISTS (SELECT 1 FROM books b WHERE b.id = l.book_id AND b.genres && ARRAY[${scope}]::text[])`;
  const offers = sql`FROM listings l WHERE l.status = 'ACTIVE' AND l.quantity > 0 AND l.currency = ${currency} AND ${inScope}`;
  return sql`
    SELECT kind, value, count::bigint AS count, NULL::int AS min, NULL::int AS max FROM book_facet_counts
     WHERE scope = ${scope} AND kind IN ('genre', 'language', 'condition') AND count > 0
    UNION ALL
    SELECT 'price', NULL, NULL,
           (SELECT l.price_amount ${offers} ORDER BY l.price_amount ASC LIMIT 1),
           (SELECT l.price_amount ${offers} ORDER BY l.price_amount DESC LIMIT 1)`;
}
