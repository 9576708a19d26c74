import { badUserInput } from '@bazaar/service';
import { Prisma } from '../generated/prisma/client';
import type { Review } from '../generated/prisma/client';

/** The orders a list of reviews can be read in. */
export type ReviewSort = 'NEWEST' | 'HIGHEST' | 'LOWEST' | 'MOST_HELPFUL';

interface SortColumn {
  column: 'rating' | 'helpful_count' | 'created_at' | 'id';
  direction: 'ASC' | 'DESC';
  value: (review: Review) => string | number;
  cast: string;
}

const createdAt: SortColumn = { column: 'created_at', direction: 'DESC', value: (review) => review.createdAt.toISOString(), cast: 'timestamptz' };
const id: SortColumn = { column: 'id', direction: 'DESC', value: (review) => review.id, cast: 'uuid' };

/** Each order ends with (created_at, id) descending, so it is total and ties show the newest first. */
const SORTS: Record<ReviewSort, SortColumn[]> = {
  NEWEST: [createdAt, id],
  HIGHEST: [{ column: 'rating', direction: 'DESC', value: (review) => review.rating, cast: 'int' }, createdAt, id],
  LOWEST: [{ column: 'rating', direction: 'ASC', value: (review) => review.rating, cast: 'int' }, createdAt, id],
  MOST_HELPFUL: [{ column: 'helpful_count', direction: 'DESC', value: (review) => review.helpfulCount, cast: 'int' }, createdAt, id],
};

/**
 * Opaque keyset cursors: base64url of JSON `[sort, ...values of the sort's columns]` of the last
 * review seen. The next page starts strictly after it, so pages never skip or repeat a review,
 * whatever is written meanwhile.
 */
export const encodeCursor = (sort: ReviewSort, review: Review) =>
  Buffer.from(JSON.stringify([sort, ...SORTS[sort].map((column) => column.value(review))])).toString('base64url');

export function decodeCursor(cursor: string | null | undefined, sort: ReviewSort): (string | number)[] | null {
  if (cursor === null || cursor === undefined) return null;
  const invalid = () =>
    badUserInput('Invalid input: after: is not a cursor of this list and order', {
      fields: [{ field: 'after', message: 'is not a cursor of this list and order' }],
    });
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const columns = SORTS[sort];
  if (!Array.isArray(parsed) || parsed.length !== columns.length + 1 || parsed[0] !== sort) throw invalid();
  const values = parsed.slice(1) as unknown[];
  const valid = columns.every((column, index) => {
    const value = values[index];
    if (column.cast === 'int') return Number.isInteger(value);
    if (column.cast === 'timestamptz') return typeof value === 'string' && !Number.isNaN(Date.parse(value));
    return typeof value === 'string' && /^[0-9a-f-]{36}$/i.test(value);
  });
  if (!valid) throw invalid();
  return values as (string | number)[];
}

/** `ORDER BY` of a sort, on the table alias `r`. */
export const orderBy = (sort: ReviewSort) =>
  Prisma.raw(SORTS[sort].map(({ column, direction }) => `r.${column} ${direction}`).join(', '));

/** The rows strictly after the cursor in the sort's order (TRUE without a cursor). */
export function after(sort: ReviewSort, values: (string | number)[] | null): Prisma.Sql {
  if (!values) return Prisma.sql`TRUE`;
  const columns = SORTS[sort];
  const value = (index: number) => Prisma.sql`${values[index]}::${Prisma.raw(columns[index]!.cast)}`;
  const disjuncts = columns.map((column, index) => {
    const equal = columns.slice(0, index).map((previous, at) => Prisma.sql`r.${Prisma.raw(previous.column)} = ${value(at)}`);
    const beyond = Prisma.sql`r.${Prisma.raw(column.column)} ${Prisma.raw(column.direction === 'DESC' ? '<' : '>')} ${value(index)}`;
    return Prisma.sql`(${Prisma.join([...equal, beyond], ' AND ')})`;
  });
  return Prisma.sql`(${Prisma.join(disjuncts, ' OR ')})`;
}
