import { z } from 'zod';
import { badUserInput } from './errors';
import { parseInput } from './validation';

/** Page sizes of every connection: `first` defaults to 20 (when the schema gives none) and may be 1 to 100. */
export const PAGE_SIZE = { default: 20, max: 100 } as const;

export const pageSize = z.number().int().min(1, `must be 1 to ${PAGE_SIZE.max}`).max(PAGE_SIZE.max, `must be 1 to ${PAGE_SIZE.max}`);

export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export interface Connection<Node> {
  edges: { cursor: string; node: Node }[];
  pageInfo: PageInfo;
}

/** What a cursor carries: the values of the list's sort keys of the last item seen (ending with its id). */
export type CursorValue = string | number | null;

/**
 * Opaque keyset cursors, one format for every list: base64url of JSON `[list, ...position]`, where
 * `list` names the list and its order (a cursor of one list is refused by another) and `position`
 * holds the sort keys of the last item seen. The next page starts strictly after it, so pages never
 * skip or repeat an item, whatever is written meanwhile.
 */
export const encodeCursor = (list: string, position: readonly CursorValue[]) => Buffer.from(JSON.stringify([list, ...position])).toString('base64url');

/**
 * The position in `cursor`, or null without one. BAD_USER_INPUT (field `after`) when it is not a
 * cursor of `list` or its values fail `valid` (one check per sort key, in order).
 */
export function decodeCursor(
  cursor: string | null | undefined,
  list: string,
  valid: readonly ((value: unknown) => boolean)[],
): CursorValue[] | null {
  if (cursor === null || cursor === undefined) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw notACursor();
  }
  if (!Array.isArray(parsed) || parsed.length !== valid.length + 1 || parsed[0] !== list) throw notACursor();
  const position = parsed.slice(1) as unknown[];
  if (!valid.every((check, index) => check(position[index]))) throw notACursor();
  return position as CursorValue[];
}

const notACursor = () =>
  badUserInput('Invalid input: after: is not a cursor of this list and order', { fields: [{ field: 'after', message: 'is not a cursor of this list and order' }] });

/** Checks of cursor values, for decodeCursor. */
export const cursorValue = {
  uuid: (value: unknown) => typeof value === 'string' && isUuid(value),
  integer: (value: unknown) => Number.isInteger(value),
  number: (value: unknown) => typeof value === 'number' && Number.isFinite(value),
  timestamp: (value: unknown) => typeof value === 'string' && !Number.isNaN(Date.parse(value)),
  string: (value: unknown) => typeof value === 'string',
  /** A sort key that may be absent (e.g. a book without a price). */
  nullable: (check: (value: unknown) => boolean) => (value: unknown) => value === null || check(value),
};

const pageArgsSchema = z.object({ first: pageSize.nullish(), after: z.string().nullish() });

/** `first` and `after` of a connection, checked: BAD_USER_INPUT for a page size outside 1..100. */
export function pageArgs(args: { first?: number | null; after?: string | null }): { first: number; after: string | null } {
  const { first, after } = parseInput(pageArgsSchema, { first: args.first, after: args.after });
  return { first: first ?? PAGE_SIZE.default, after: after ?? null };
}

/**
 * A connection from up to `first + 1` rows read after the cursor (the extra row only says that
 * there is a next page). Pages go forward only, so hasPreviousPage is true exactly after a cursor.
 */
export function connectionOf<Row, Node = Row>(
  rows: readonly Row[],
  page: { first: number; after: string | null },
  cursorOf: (row: Row) => string,
  nodeOf: (row: Row) => Node = (row) => row as unknown as Node,
): Connection<Node> {
  const edges = rows.slice(0, page.first).map((row) => ({ cursor: cursorOf(row), node: nodeOf(row) }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > page.first,
      hasPreviousPage: page.after !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

/** A connection with nothing in it. */
export const emptyConnection = <Node>(): Connection<Node> => ({
  edges: [],
  pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
});

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` is a UUID. Ids are opaque to clients; one that cannot be ours simply matches nothing. */
export const isUuid = (value: string) => uuidPattern.test(value);
