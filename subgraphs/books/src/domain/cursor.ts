import { badUserInput } from '@bazaar/service';

/**
 * Opaque keyset cursors: base64url of JSON `[sort, key, id]`, where `key` is the value of the sort
 * key of the last item seen. The next page starts strictly after (key, id), so pages never skip or
 * repeat an item, whatever is inserted meanwhile.
 */
export type SortKey = string | number | null;

export interface CursorPosition {
  key: SortKey;
  id: string;
}

export const encodeCursor = (sort: string, key: SortKey, id: string) =>
  Buffer.from(JSON.stringify([sort, key, id])).toString('base64url');

export function decodeCursor(cursor: string | null | undefined, sort: string): CursorPosition | null {
  if (cursor === null || cursor === undefined) return null;
  const invalid = () => badUserInput('Invalid input: after: is not a cursor of this list and order', {
    fields: [{ field: 'after', message: 'is not a cursor of this list and order' }],
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 3 ||
    parsed[0] !== sort ||
    !(parsed[1] === null || typeof parsed[1] === 'string' || typeof parsed[1] === 'number') ||
    typeof parsed[2] !== 'string'
  ) {
    throw invalid();
  }
  return { key: parsed[1] as SortKey, id: parsed[2] };
}
