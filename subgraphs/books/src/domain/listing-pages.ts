import DataLoader from 'dataloader';
import { connectionOf, cursorValue, decodeCursor, encodeCursor, hasRole, isUuid, pageArgs, type Viewer } from '@bazaar/service';
import { Prisma, type Listing, type ListingCondition, type PrismaClient } from '../generated/prisma/client';
import type { ListingConnectionModel } from './types';

export type ListingSort = 'PRICE_ASC' | 'PRICE_DESC' | 'NEWEST';

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
interface Parent {
  id: string;
  own: boolean;
}

const LISTING_COLUMNS = sql`l.id, l.book_id AS "bookId", l.seller_id AS "sellerId", l.condition::text AS condition,
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

  constructor(private readonly db: PrismaClient) {}

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
    decodeCursor(scope.after, list, [scope.sort === 'NEWEST' ? cursorValue.timestamp : cursorValue.integer, cursorValue.uuid]);
    const rows = await loaderFor(this.pages, JSON.stringify(scope), (parents) => this.loadPages(scope, parents)).load(parent);
    const cursorOf = (node: Listing) => encodeCursor(list, [scope.sort === 'NEWEST' ? node.createdAt.toISOString() : node.priceAmount, node.id]);
    const countKey = JSON.stringify({ ...scope, sort: null, first: null, after: null });
    return {
      ...connectionOf(rows, scope, cursorOf),
      totalCount: () => loaderFor(this.counts, countKey, (parents) => this.loadCounts(scope, parents)).load(parent),
    };
  }

  private async loadPages(scope: PageScope, parents: readonly Parent[]): Promise<Listing[][]> {
    const pages = parents.map((): Listing[] => []);
    const [ids, owns, positions] = valid(parents);
    if (ids.length === 0) return pages;
    const rows = await this.db.$queryRaw<(Listing & { position: bigint })[]>`
      SELECT p.position, ${LISTING_COLUMNS}
        FROM unnest(${ids}::uuid[], ${owns}::boolean[], ${positions}::int[]) AS p(id, own, position)
        CROSS JOIN LATERAL (
          SELECT * FROM listings l
           WHERE l.${raw(scope.parent)} = p.id AND ${VISIBLE} AND ${conditionIs(scope)} AND ${keysetAfter(scope)}
           ORDER BY ${orderOf(scope.sort)}
           LIMIT ${scope.first + 1}
        ) l
       ORDER BY p.position, ${orderOf(scope.sort)}`;
    for (const { position, ...listing } of rows) pages[Number(position)]!.push(listing as Listing);
    return pages;
  }

  private async loadCounts(scope: PageScope, parents: readonly Parent[]): Promise<number[]> {
    const counts = parents.map(() => 0);
    const [ids, owns, positions] = valid(parents);
    if (ids.length === 0) return counts;
    const rows = await this.db.$queryRaw<{ position: number; count: bigint }[]>`
      SELECT p.position, (SELECT count(*) FROM listings l WHERE l.${raw(scope.parent)} = p.id AND ${VISIBLE} AND ${conditionIs(scope)}) AS count
        FROM unnest(${ids}::uuid[], ${owns}::boolean[], ${positions}::int[]) AS p(id, own, position)`;
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

function orderOf(sort: ListingSort): Prisma.Sql {
  switch (sort) {
    case 'NEWEST':
      return sql`l.created_at DESC, l.id DESC`;
    case 'PRICE_ASC':
      return sql`l.price_amount ASC, l.id ASC`;
    case 'PRICE_DESC':
      return sql`l.price_amount DESC, l.id ASC`;
  }
}

/** Keyset pages (sort key + id), so pages never skip or repeat. */
function keysetAfter(scope: PageScope): Prisma.Sql {
  const list = `listing:${scope.sort}`;
  const position = decodeCursor(scope.after, list, [scope.sort === 'NEWEST' ? cursorValue.timestamp : cursorValue.integer, cursorValue.uuid]);
  if (!position) return sql`TRUE`;
  const id = String(position[1]);
  if (scope.sort === 'NEWEST') return sql`(l.created_at, l.id) < (${new Date(String(position[0]))}::timestamptz, ${id}::uuid)`;
  const amount = Number(position[0]);
  return scope.sort === 'PRICE_ASC'
    ? sql`(l.price_amount, l.id) > (${amount}, ${id}::uuid)`
    : sql`(l.price_amount < ${amount} OR (l.price_amount = ${amount} AND l.id > ${id}::uuid))`;
}
