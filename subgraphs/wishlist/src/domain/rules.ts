import { z } from 'zod';
import { badUserInput, currencyCode } from '@bazaar/service';
import type { Connection } from './types';

const bookId = z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters');
const note = z.string().trim().max(500, 'must be at most 500 characters').transform((value) => value || null);
const money = z.object({
  amount: z.number().int('must be a whole number of minor units').min(1, 'must be more than 0').max(100_000_000, 'is too large'),
  currency: currencyCode,
});

export const addToWishlistInput = z.object({ bookId, note: note.nullish(), targetPrice: money.nullish() });
export const updateWishlistItemInput = addToWishlistInput;
export const pageArgs = z.object({
  first: z.number().int().min(1, 'must be at least 1').max(100, 'must be at most 100').nullish(),
  after: z.string().max(200).nullish(),
});

export const formatMoney = (amount: number, currency: string) => `${(amount / 100).toFixed(2)} ${currency}`;

/**
 * Keyset pages over rows ordered by id, newest first (ids are UUIDv7, so id order is creation
 * order). The cursor is the base64url of the last id seen: pages never skip or repeat a row.
 */
export const encodeCursor = (id: string) => Buffer.from(id).toString('base64url');

export function decodeCursor(cursor: string | null | undefined): string | null {
  if (cursor === null || cursor === undefined) return null;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
    throw badUserInput('Invalid input: after: is not a cursor of this list', { fields: [{ field: 'after', message: 'is not a cursor of this list' }] });
  }
  return id;
}

/** Builds a connection from up to first + 1 rows (the extra one only says there is a next page). */
export function connectionOf<Node extends { id: string }>(rows: Node[], first: number, after: string | null, totalCount: number): Connection<Node> {
  const page = rows.slice(0, first);
  const edges = page.map((node) => ({ cursor: encodeCursor(node.id), node }));
  return {
    edges,
    totalCount,
    pageInfo: {
      hasNextPage: rows.length > first,
      hasPreviousPage: after !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
