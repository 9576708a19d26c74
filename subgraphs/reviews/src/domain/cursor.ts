import { cursorValue, decodeCursor as decodePosition, encodeCursor as encodePosition, type CursorValue } from '@bazaar/service';
import { Prisma } from '../generated/prisma/client';
import type { Review } from '../generated/prisma/client';

/** The orders a list of reviews can be read in. */
export type ReviewSort = 'NEWEST' | 'HIGHEST' | 'LOWEST' | 'MOST_HELPFUL';

interface SortColumn {
  column: 'rating' | 'helpful_count' | 'created_at' | 'id';
  direction: 'ASC' | 'DESC';
  value: (review: Review) => string | number;
  cast: 'int' | 'timestamptz' | 'uuid';
}

const CURSOR_CHECKS = { int: cursorValue.integer, timestamptz: cursorValue.timestamp, uuid: cursorValue.uuid };

const createdAt: SortColumn = { column: 'created_at', direction: 'DESC', value: (review) => review.createdAt.toISOString(), cast: 'timestamptz' };
const id: SortColumn = { column: 'id', direction: 'DESC', value: (review) => review.id, cast: 'uuid' };

/** Each order ends with (created_at, id) descending, so it is total and ties show the newest first. */
const SORTS: Record<ReviewSort, SortColumn[]> = {
  NEWEST: [createdAt, id],
  HIGHEST: [{ column: 'rating', direction: 'DESC', value: (review) => review.rating, cast: 'int' }, createdAt, id],
  LOWEST: [{ column: 'rating', direction: 'ASC', value: (review) => review.rating, cast: 'int' }, createdAt, id],
  MOST_HELPFUL: [{ column: 'helpful_count', direction: 'DESC', value: (review) => review.helpfulCount, cast: 'int' }, createdAt, id],
};

/** Cursors (see @bazaar/service pagination) carry the values of the sort's columns of the last review seen. */
export const encodeCursor = (sort: ReviewSort, review: Review) => encodePosition(`reviews:${sort}`, SORTS[sort].map((column) => column.value(review)));

export const decodeCursor = (cursor: string | null | undefined, sort: ReviewSort): CursorValue[] | null =>
  decodePosition(cursor, `reviews:${sort}`, SORTS[sort].map((column) => CURSOR_CHECKS[column.cast]));

/** `ORDER BY` of a sort, on the table alias `r`. */
export const orderBy = (sort: ReviewSort) =>
  Prisma.raw(SORTS[sort].map(({ column, direction }) => `r.${column} ${direction}`).join(', '));

/** The rows strictly after the cursor in the sort's order (TRUE without a cursor). */
export function after(sort: ReviewSort, values: CursorValue[] | null): Prisma.Sql {
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
