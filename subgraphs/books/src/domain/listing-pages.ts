import DataLoader from 'dataloader';
import { connectionOf, cursorValue, decodeCursor, encodeCursor, hasRole, isUuid, pageArgs, type Viewer } from '@bazaar/service';
import { Prisma, type Listing, type ListingCondition } from '../generated/prisma/client';
import { readRows, type Reads } from './reads';
import type { ListingConnectionModel } from './types';

/** SELLER_RATING ranks offers by their seller's rating, kept by books from reviews' events (seller-ratings.ts). */
export type ListingSort = 'PRICE_ASC' | 'PRICE_DESC' | 'NEWEST' | 'SELLER_RATING';

/** A listing as a page reads it, with its seller's rating when the page is sorted by it (for the cursor). */
type PagedListing = Listing & { ratingAverage?: number; ratingCount?: number };

const { sql, raw } = Prisma;

/**
 * What one list field asks for, apart from its parent: every parent of a request that shares these
 * arguments (every book of a search page, every seller of a cart) is answered by one statement.
 */
interface PageScope {
  parent: 'book_id' | 'seller_id';
  condition: ListingCondition | null;
  sort: ListingSort;
  first: number;
  after: string | null;
}

/**
 * One parent of a list: a book, or a seller with whether the viewer sees the seller's own view
 * (everything but REMOVED) or everyone's (ACTIVE only). Both views of sellers go in one batch, so
 * how many statements a request costs never depends on when each batch happens to be dispatched.
 */
/** A decoded cursor: the sort's keys and the listing id after which the page starts (undefined: the first page). */
type CursorPosition = ReturnType<typeof decodeCursor>;

interface Parent {
  id: string;
  own: boolean;
}

/** A Listing row as Prisma's model names its fields (enums as text, as the lean reader needs). */
export const LISTING_COLUMNS = sql`l.id, l.book_id AS "bookId", l.seller_id AS "sellerId", l.condition::text AS condition,
  l.price_amount AS "priceAmount", l.currency, l.quantity, l.reserved, l.status::text AS status,
  l.created_at AS "createdAt", l.updated_at AS "updatedAt"`;

const VISIBLE = sql`(l.status = 'ACTIVE' OR (p.own AND l.status <> 'REMOVED'))`;

/**
 * The per-parent listing pages (Book.listings, User.listings) and their counts for one request,
 * each batched over all parents: a LATERAL keyset page per parent in one statement, and one
 * statement for all counts, whatever the number of parents or the page size.
 */
export class ListingPages {
  private readonly pages = new Map<string, DataLoader<Parent, Listing[], string>>();
  private readonly counts = new Map<string, DataLoader<Parent, number, string>>();

  constructor(private readonly db: Reads) {}

  /** A book's offers on sale. */
  ofBook(
    bookId: string,
    args: { first?: number | null; after?: string | null; condition?: ListingCondition | null; sort?: ListingSort | null },
  ): Promise<ListingConnectionModel> {
    const page = pageArgs(args);
    const scope: PageScope = { parent: 'book_id', condition: args.condition ?? null, sort: args.sort ?? 'PRICE_ASC', ...page };
    return this.connection(scope, { id: bookId, own: false });
  }

  /** A seller's listings: ACTIVE ones for everyone, all but REMOVED for the seller and admins. */
  ofSeller(viewer: Viewer | null, sellerId: string, args: { first?: number | null; after?: string | null }): Promise<ListingConnectionModel> {
    const own = viewer !== null && (viewer.id === sellerId || hasRole(viewer, 'ADMIN'));
    const page = pageArgs(args);
    return this.connection({ parent: 'seller_id', condition: null, sort: 'NEWEST', ...page }, { id: sellerId, own });
  }

  private async connection(scope: PageScope, parent: Parent): Promise<ListingConnectionModel> {
    const list = `listing:${scope.sort}`;
    // Decoded before batching, so that a bad cursor fails this field alone with BAD_USER_INPUT.
    const after = decodeCursor(scope.after, list, cursorShape(scope.sort));
    const rows = await loaderFor(this.pages, JSON.stringify(scope), (parents) => this.loadPages(scope, after, parents)).load(parent);
    const cursorOf = (node: PagedListing) => encodeCursor(list, cursorKeyOf(scope.sort, node));
    const countKey = JSON.stringify({ ...scope, sort: null, first: null, after: null });
    return {
      ...connectionOf(rows, scope, cursorOf),
      totalCount: () => loaderFor(this.counts, countKey, (parents) => this.loadCounts(scope, parents)).load(parent),
    };
  }

  private async loadPages(scope: PageScope, after: CursorPosition, parents: readonly Parent[]): Promise<PagedListing[][]> {
    const pages = parents.map((): PagedListing[] => []);
    const [ids, owns, positions] = valid(parents);
    if (ids.length === 0) return pages;
    const byRating = scope.sort === 'SELLER_RATING';
    // Unrated sellers count as 0 ratings of 0 stars, so they come last.
    const rating = byRating
      ? sql`, coalesce(r.average, 0)::float8 AS rating_average, coalesce(r.count, 0)::int AS rating_count
            FROM listings l LEFT JOIN seller_ratings r ON r.seller_id = l.seller_id`
      : sql` FROM listings l`;
    const rows = await readRows<Listing & { position: number; ratingAverage?: number; ratingCount?: number }>(
      this.db,
      sql`
      SELECT p.position, ${LISTING_COLUMNS}${byRating ? sql`, l.rating_average AS "ratingAverage", l.rating_count AS "ratingCount"` : sql``}
        FROM unnest(${ids}::uuid[], ${owns}::boolean[], ${positions}::int[]) AS p(id, own, position)
        CROSS JOIN LATERAL (
          SELECT l.*${rating}
           WHERE l.${raw(scope.parent)} = p.id AND ${VISIBLE} AND ${conditionIs(scope)} AND ${keysetAfter(scope.sort, after)}
           ORDER BY ${orderOf(scope.sort, 'inner')}
           LIMIT ${scope.first + 1}
        ) l
       ORDER BY p.position, ${orderOf(scope.sort, 'outer')}`,
    );
    for (const { position, ...listing } of rows) pages[Number(position)]!.push(listing as PagedListing);
    return pages;
  }

  private async loadCounts(scope: PageScope, parents: readonly Parent[]): Promise<number[]> {
    const counts = parents.map(() => 0);
    const [ids, owns, positions] = valid(parents);
    if (ids.length === 0) return counts;
    const rows = await readRows<{ position: number; count: number }>(
      this.db,
      sql`
      SELECT p.position, (SELECT count(*)::int FROM listings l WHERE l.${raw(scope.parent)} = p.id AND ${VISIBLE} AND ${conditionIs(scope)}) AS count
        FROM unnest(${ids}::uuid[], ${owns}::boolean[], ${positions}::int[]) AS p(id, own, position)`,
    );
    for (const row of rows) counts[Number(row.position)] = Number(row.count);
    return counts;
  }
}

/** The parents whose id can be ours (any other has no listings), as columns for `unnest`. */
function valid(parents: readonly Parent[]): [string[], boolean[], number[]] {
  const columns: [string[], boolean[], number[]] = [[], [], []];
  parents.forEach((parent, position) => {
    if (!isUuid(parent.id)) return;
    columns[0].push(parent.id);
    columns[1].push(parent.own);
    columns[2].push(position);
  });
  return columns;
}

function loaderFor<Value>(
  loaders: Map<string, DataLoader<Parent, Value, string>>,
  key: string,
  batch: (parents: readonly Parent[]) => Promise<Value[]>,
) {
  let loader = loaders.get(key);
  if (!loader) loaders.set(key, (loader = new DataLoader(batch, { cacheKeyFn: ({ id, own }) => `${id}:${own}` })));
  return loader;
}

function conditionIs(scope: PageScope): Prisma.Sql {
  return scope.condition ? sql`l.condition = ${scope.condition}::"ListingCondition"` : sql`TRUE`;
}

/** The sort's order, inside the per-parent page (`r` is the rating) or over its rows (`l` carries it). */
function orderOf(sort: ListingSort, side: 'inner' | 'outer'): Prisma.Sql {
  switch (sort) {
    case 'SELLER_RATING':
      return side === 'inner'
        ? sql`coalesce(r.average, 0) DESC, coalesce(r.count, 0) DESC, l.price_amount ASC, l.id ASC`
        : sql`l.rating_average DESC, l.rating_count DESC, l.price_amount ASC, l.id ASC`;
    case 'NEWEST':
      return sql`l.created_at DESC, l.id DESC`;
    case 'PRICE_ASC':
      return sql`l.price_amount ASC, l.id ASC`;
    case 'PRICE_DESC':
      return sql`l.price_amount DESC, l.id ASC`;
  }
}

/** Keyset pages (sort key + id), so pages never skip or repeat. */
function keysetAfter(sort: ListingSort, position: CursorPosition): Prisma.Sql {
  if (!position) return sql`TRUE`;
  if (sort === 'SELLER_RATING') {
    // Row comparison on negated keys: (average DESC, count DESC, price ASC, id ASC) strictly after the cursor.
    return sql`(-coalesce(r.average, 0), -coalesce(r.count, 0), l.price_amount, l.id)
      > (${-Number(position[0])}::float8, ${-Number(position[1])}::int, ${Number(position[2])}::int, ${String(position[3])}::uuid)`;
  }
  const id = String(position[1]);
  if (sort === 'NEWEST') return sql`(l.created_at, l.id) < (${new Date(String(position[0]))}::timestamptz, ${id}::uuid)`;
  const amount = Number(position[0]);
  return sort === 'PRICE_ASC'
    ? sql`(l.price_amount, l.id) > (${amount}, ${id}::uuid)`
    : sql`(l.price_amount < ${amount} OR (l.price_amount = ${amount} AND l.id > ${id}::uuid))`;
}

/** What a cursor of each sort holds: the sort's keys, then the listing id. */
function cursorShape(sort: ListingSort) {
  if (sort === 'SELLER_RATING') return [cursorValue.number, cursorValue.integer, cursorValue.integer, cursorValue.uuid];
  return [sort === 'NEWEST' ? cursorValue.timestamp : cursorValue.integer, cursorValue.uuid];
}

function cursorKeyOf(sort: ListingSort, node: PagedListing): (string | number)[] {
  if (sort === 'SELLER_RATING') return [node.ratingAverage ?? 0, node.ratingCount ?? 0, node.priceAmount, node.id];
  return [sort === 'NEWEST' ? node.createdAt.toISOString() : node.priceAmount, node.id];
}
