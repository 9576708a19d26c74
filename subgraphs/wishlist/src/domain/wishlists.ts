import { connectionOf, cursorValue, decodeCursor, encodeCursor, isUuid, notFound, pageArgs, parseInput, type LeanReader, type Viewer } from '@bazaar/service';
import { Prisma, type Notification, type PrismaClient, type WishlistItem } from '../generated/prisma/client';
import { addToWishlistInput, updateWishlistItemInput } from './rules';
import type { NotificationConnectionModel, WishlistItemConnectionModel } from './types';

/**
 * Keyset pages over rows ordered by id, newest first (ids are UUIDv7, so id order is creation
 * order): the cursor holds the last id seen.
 */
function newestFirst(list: string, args: { first?: number | null; after?: string | null }) {
  const page = pageArgs(args);
  const position = decodeCursor(page.after, list, [cursorValue.uuid]);
  return {
    page,
    /** The Prisma filter for the rows after the cursor. */
    after: position ? { id: { lt: String(position[0]) } } : {},
    connection: <Row extends { id: string }>(rows: Row[], totalCount: number) => ({
      ...connectionOf(rows, page, (row) => encodeCursor(list, [row.id])),
      totalCount,
    }),
  };
}

/** Wishlists and their notifications: the rules, with data access through Prisma. */
export class Wishlists {
  constructor(
    private readonly db: PrismaClient,
    private readonly reader: LeanReader,
  ) {}

  /**
   * Adds a book to the viewer's wishlist. Adding it again keeps the item (and its addedAt), changing
   * only the note or target price that are given. A book the projection does not know is NOT_FOUND.
   */
  async add(viewer: Viewer, rawInput: unknown): Promise<WishlistItem> {
    const input = parseInput(addToWishlistInput, rawInput);
    const book = await this.db.bookProjection.findUnique({ where: { id: input.bookId }, select: { id: true } });
    if (!book) throw notFound('No book with this id.', { bookId: input.bookId });
    const changes = {
      ...(input.note !== undefined && { note: input.note }),
      ...(input.targetPrice !== undefined && {
        targetAmount: input.targetPrice?.amount ?? null,
        targetCurrency: input.targetPrice?.currency ?? null,
      }),
    };
    return this.db.wishlistItem.upsert({
      where: { userId_bookId: { userId: viewer.id, bookId: book.id } },
      create: { userId: viewer.id, bookId: book.id, ...changes },
      update: changes,
    });
  }

  async update(viewer: Viewer, rawInput: unknown): Promise<WishlistItem> {
    const input = parseInput(updateWishlistItemInput, rawInput);
    try {
      return await this.db.wishlistItem.update({
        where: { userId_bookId: { userId: viewer.id, bookId: input.bookId } },
        data: {
          ...(input.note !== undefined && { note: input.note }),
          ...(input.targetPrice !== undefined && {
            targetAmount: input.targetPrice?.amount ?? null,
            targetCurrency: input.targetPrice?.currency ?? null,
          }),
        },
      });
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2025') {
        throw notFound('This book is not in your wishlist.', { bookId: input.bookId });
      }
      throw error;
    }
  }

  async remove(viewer: Viewer, bookId: string): Promise<boolean> {
    const { count } = await this.db.wishlistItem.deleteMany({ where: { userId: viewer.id, bookId } });
    return count > 0;
  }

  /** A page of the user's wishlist, most recently added first. */
  async items(userId: string, args: { first?: number | null; after?: string | null }): Promise<WishlistItemConnectionModel> {
    const list = newestFirst('wishlist:NEWEST', args);
    const [rows, totalCount] = await Promise.all([
      this.db.wishlistItem.findMany({ where: { userId, ...list.after }, orderBy: { id: 'desc' }, take: list.page.first + 1 }),
      this.db.wishlistItem.count({ where: { userId } }),
    ]);
    return list.connection(rows, totalCount);
  }

  /** How many wishlists hold each of these books, in one query. */
  async countsByBook(bookIds: readonly string[]): Promise<Map<string, number>> {
    const rows = await this.db.wishlistItem.groupBy({ by: ['bookId'], where: { bookId: { in: [...bookIds] } }, _count: { _all: true } });
    return new Map(rows.map((row) => [row.bookId, row._count._all]));
  }

  /** Which of these books the user wishes for, in one query. */
  async wishedBy(userId: string, bookIds: readonly string[]): Promise<Set<string>> {
    const rows = await this.reader.rows<{ bookId: string }>({
      name: 'wished-books-of-user',
      text: 'SELECT book_id AS "bookId" FROM wishlist_items WHERE user_id = $1 AND book_id = ANY($2::text[])',
      values: [userId, [...bookIds]],
    });
    return new Set(rows.map(({ bookId }) => bookId));
  }

  async notifications(userId: string, args: { first?: number | null; after?: string | null; unreadOnly?: boolean | null }): Promise<NotificationConnectionModel> {
    const list = newestFirst('notifications:NEWEST', args);
    const where = { userId, ...(args.unreadOnly && { readAt: null }) };
    // One snapshot, so the page and both counts agree even while an alert is being written.
    const [rows, totalCount, unreadCount] = await this.db.$transaction(
      [
        this.db.notification.findMany({ where: { ...where, ...list.after }, orderBy: { id: 'desc' }, take: list.page.first + 1 }),
        this.db.notification.count({ where }),
        this.db.notification.count({ where: { userId, readAt: null } }),
      ],
      { isolationLevel: 'RepeatableRead' },
    );
    return { ...list.connection(rows, totalCount), unreadCount };
  }

  /** Marks the viewer's notification read (once; marking again keeps the first time). Others' are NOT_FOUND. */
  async markRead(viewer: Viewer, id: string): Promise<Notification> {
    const missing = () => notFound('No notification with this id.', { id });
    if (!isUuid(id)) throw missing();
    await this.db.notification.updateMany({ where: { id, userId: viewer.id, readAt: null }, data: { readAt: new Date() } });
    const notification = await this.db.notification.findFirst({ where: { id, userId: viewer.id } });
    if (!notification) throw missing();
    return notification;
  }
}
