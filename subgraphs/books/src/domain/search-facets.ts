import { Prisma, type PrismaClient } from '../generated/prisma/client';
import { CATALOG_CURRENCY, type BookFilter } from './rules';
import { filterPredicate } from './search';
import type { BookFacetsModel } from './types';

const { sql } = Prisma;

/**
 * Counts stop at this many matching books: a broad search ("story", the unfiltered browse) would
 * otherwise count the whole catalog on every request. Beyond it `totalCount` is this number with
 * `totalCountIsExact: false`.
 */
export const EXACT_COUNT_LIMIT = 10_000;

/**
 * Facets of a search that the summary cannot answer count this many matches at most (the first the
 * indexes give); beyond it they are a sample and `countsAreExact` is false.
 */
export const FACET_SAMPLE_LIMIT = 1_000;

/**
 * The facet summary's scope that answers this filter exactly: '' for the unfiltered browse, the
 * genre for a browse of one genre, null when the filter needs the matching books themselves.
 */
export function summaryScope(filter: BookFilter): string | null {
  const { genres, ...rest } = filter;
  const others = Object.values(rest).some((value) => value !== null && value !== undefined && !(Array.isArray(value) && value.length === 0));
  if (others) return null;
  if (!genres || genres.length === 0) return '';
  return genres.length === 1 ? genres[0]! : null;
}

/** How many books match, exactly up to EXACT_COUNT_LIMIT. */
export async function countMatches(db: PrismaClient, filter: BookFilter): Promise<{ count: number; exact: boolean }> {
  const [row] = await db.$queryRaw<{ count: bigint | number }[]>(countMatchesQuery(filter));
  const count = Number(row?.count ?? 0);
  return count > EXACT_COUNT_LIMIT ? { count: EXACT_COUNT_LIMIT, exact: false } : { count, exact: true };
}

export function countMatchesQuery(filter: BookFilter): Prisma.Sql {
  const scope = summaryScope(filter);
  if (scope !== null) {
    return sql`SELECT coalesce((SELECT count FROM book_facet_counts WHERE scope = ${scope} AND kind = 'book' AND value = ''), 0) AS count`;
  }
  return sql`SELECT count(*) AS count FROM (SELECT 1 FROM books b WHERE ${filterPredicate(filter)} LIMIT ${EXACT_COUNT_LIMIT + 1}) matched`;
}

type FacetRow = { kind: string; value: string | null; count: bigint | number | null; min: number | null; max: number | null };

/**
 * Genre, language and condition counts and the price range of the matching books, in one statement:
 * from the summary for the unfiltered and single-genre browse, else over the first
 * FACET_SAMPLE_LIMIT matches (a `matched` row says how many there were, up to one more).
 */
export async function facets(db: PrismaClient, filter: BookFilter): Promise<BookFacetsModel> {
  const currency = filter.price?.currency ?? CATALOG_CURRENCY;
  const rows = await db.$queryRaw<FacetRow[]>(facetsQuery(filter));
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
    countsAreExact: !matched || Number(matched.count) <= FACET_SAMPLE_LIMIT,
  };
}

export function facetsQuery(filter: BookFilter): Prisma.Sql {
  const currency = filter.price?.currency ?? CATALOG_CURRENCY;
  const scope = summaryScope(filter);
  if (scope !== null) return summaryFacetsQuery(scope, currency);
  return sql`
    WITH matched AS MATERIALIZED (
      SELECT b.id, b.genres, b.language FROM books b WHERE ${filterPredicate(filter)} LIMIT ${FACET_SAMPLE_LIMIT + 1}),
    sample AS MATERIALIZED (SELECT * FROM matched LIMIT ${FACET_SAMPLE_LIMIT}),
    offers AS MATERIALIZED (
      SELECT l.book_id, l.condition, l.currency, l.price_amount FROM listings l JOIN sample ON sample.id = l.book_id
       WHERE l.status = 'ACTIVE' AND l.quantity > 0)
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
