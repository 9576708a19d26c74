import { z } from 'zod';
import { conflict, connectionOf, forbidden, hasRole, isUniqueViolation, isUuid, notFound, pageArgs, parseInput, type Viewer } from '@bazaar/service';
import { type Prisma, type Author, type Book, type PrismaClient } from '../generated/prisma/client';
import { authorKey, bookFilter, createBookInput, isbn, updateBookInput } from './rules';
import { type Outbox } from '@bazaar/events';
import { BookCreated, BookUpdated } from '@bazaar/contracts/books';
import { searchPage, type BookSort } from './search';
import { countMatches, facets } from './search-facets';
import type { BookConnectionModel } from './types';
import { BOOK_COLUMNS } from './reads';
import type { LeanReader } from '@bazaar/service';

/** The client itself or an open transaction: both can run a statement. */
export type Database = PrismaClient | Prisma.TransactionClient;


/** Books and their authors: creation, correction, lookup and search. */
export class Catalog {
  constructor(
    private readonly db: PrismaClient,
    private readonly outbox: Outbox,
    private readonly reader: LeanReader,
  ) {}

  /** Sellers and admins add books; an ISBN already in the catalog gives CONFLICT naming that book. */
  async createBook(viewer: Viewer, rawInput: unknown): Promise<Book> {
    if (!hasRole(viewer, 'SELLER') && !hasRole(viewer, 'ADMIN')) throw forbidden('Only sellers and admins can add books.');
    const input = parseInput(createBookInput, rawInput);
    try {
      return await this.db.$transaction(async (tx) => {
        const { isbn: isbn13, authors: authorNames, ...details } = input;
        await this.assertIsbnFree(tx, isbn13);
        const authors = await upsertAuthors(tx, authorNames);
        const book = await tx.book.create({
          data: { ...details, isbn13, authorNames: authors.map(({ name }) => name).join(', '), createdBy: viewer.id },
        });
        await tx.bookAuthor.createMany({ data: authors.map((author, position) => ({ bookId: book.id, authorId: author.id, position })) });
        await this.outbox.add(tx, {
          definition: BookCreated,
          key: book.id,
          data: {
            bookId: book.id,
            isbn13: book.isbn13,
            title: book.title,
            authors: authors.map(({ name }) => name),
            genres: book.genres,
            createdBy: viewer.id,
          },
        });
        return book;
      });
    } catch (error) {
      if (isUniqueViolation(error)) await this.assertIsbnFree(this.db, input.isbn);
      throw error;
    }
  }

  /** Admins correct a book; every changed field is announced in BookUpdated. */
  async updateBook(viewer: Viewer, rawInput: unknown): Promise<Book> {
    if (!hasRole(viewer, 'ADMIN')) throw forbidden('Only admins can change books.');
    const input = parseInput(updateBookInput, rawInput);
    const missing = () => notFound('No book with this id.', { id: input.id });
    if (!isUuid(input.id)) throw missing();
    try {
      return await this.db.$transaction(async (tx) => {
        const [locked] = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM books WHERE id = ${input.id}::uuid FOR UPDATE`;
        if (!locked) throw missing();
        const current = await tx.book.findUniqueOrThrow({ where: { id: input.id } });
        const data: Prisma.BookUpdateInput = {};
        const changed: string[] = [];
        const set = <K extends keyof Book>(field: K, value: Book[K] | undefined) => {
          if (value === undefined) return;
          const same = Array.isArray(value) ? JSON.stringify(value) === JSON.stringify(current[field]) : value === current[field];
          if (same) return;
          (data as Record<string, unknown>)[field] = value;
          changed.push(field);
        };
        if (input.isbn !== undefined && input.isbn !== current.isbn13) await this.assertIsbnFree(tx, input.isbn);
        set('isbn13', input.isbn);
        set('title', input.title);
        set('subtitle', input.subtitle);
        set('description', input.description);
        set('genres', input.genres);
        set('language', input.language);
        set('pageCount', input.pageCount);
        set('publishedYear', input.publishedYear);
        set('publisher', input.publisher);
        set('coverUrl', input.coverUrl);
        let authorNames = (await authorsOf(tx, [current.id])).get(current.id)?.map(({ name }) => name) ?? [];
        if (input.authors !== undefined && input.authors.join('\n') !== authorNames.join('\n')) {
          const authors = await upsertAuthors(tx, input.authors);
          await tx.bookAuthor.deleteMany({ where: { bookId: current.id } });
          await tx.bookAuthor.createMany({ data: authors.map((author, position) => ({ bookId: current.id, authorId: author.id, position })) });
          authorNames = authors.map(({ name }) => name);
          data.authorNames = authorNames.join(', ');
          changed.push('authors');
        }
        if (changed.length === 0) return current;
        const book = await tx.book.update({ where: { id: current.id }, data });
        await this.outbox.add(tx, {
          definition: BookUpdated,
          key: book.id,
          data: {
            bookId: book.id,
            isbn13: book.isbn13,
            title: book.title,
            authors: authorNames,
            genres: book.genres,
            changedFields: changed,
            changedBy: viewer.id,
          },
        });
        return book;
      });
    } catch (error) {
      if (isUniqueViolation(error) && input.isbn) await this.assertIsbnFree(this.db, input.isbn);
      throw error;
    }
  }

  async findByIsbn(rawIsbn: string): Promise<Book | null> {
    const { isbn: isbn13 } = parseInput(z.object({ isbn }), { isbn: rawIsbn });
    return this.db.book.findUnique({ where: { isbn13 } });
  }

  /** The books of one request's loader (the hottest read: every page's books, every entity lookup). */
  findMany(ids: readonly string[]): Promise<Book[]> {
    return booksById(this.reader, ids);
  }

  /** The authors of each book, in credit order: one statement for any number of books. */
  authorsOf(bookIds: readonly string[]): Promise<Map<string, Author[]>> {
    return authorsOf(this.reader, bookIds.filter(isUuid));
  }

  /**
   * A page of search results; `load` fetches the page's books (through the request's loader).
   * `early` names the counts the request asks for: they start at once, alongside the page and its
   * books (they do not depend on them), instead of one round trip after; the others stay lazy.
   */
  async search(
    args: { filter?: unknown; sort?: BookSort | null; first?: number | null; after?: string | null },
    load: (ids: string[]) => Promise<(Book | null)[]>,
    early: { count?: boolean; facets?: boolean } = {},
  ): Promise<BookConnectionModel> {
    const filter = parseInput(bookFilter, args.filter ?? {});
    const page = pageArgs(args);
    let count = early.count ? settledLater(countMatches(this.reader, filter)) : undefined;
    let facetCounts = early.facets ? settledLater(facets(this.reader, filter)) : undefined;
    const rows = await searchPage(this.reader, { filter, sort: args.sort ?? 'RELEVANCE', ...page });
    const books = await load(rows.slice(0, page.first).map(({ id }) => id));
    const found = new Map(books.flatMap((book) => (book ? [[book.id, book] as const] : [])));
    const connection = connectionOf(rows, page, (row) => row.cursor, (row) => found.get(row.id));
    return {
      // A book deleted between the search and the load is left out.
      edges: connection.edges.flatMap(({ cursor, node }) => (node ? [{ cursor, node }] : [])),
      pageInfo: connection.pageInfo,
      totalCount: async () => (await (count ??= countMatches(this.reader, filter))).count,
      totalCountIsExact: async () => (await (count ??= countMatches(this.reader, filter))).exact,
      facets: () => (facetCounts ??= facets(this.reader, filter)),
    };
  }

  private async assertIsbnFree(db: Database, isbn13: string): Promise<void> {
    const existing = await db.book.findUnique({ where: { isbn13 }, select: { id: true } });
    if (existing) {
      throw conflict('A book with this ISBN is already in the catalog.', { field: 'isbn', existingBookId: existing.id });
    }
  }
}

/**
 * A promise started before it is awaited: if what runs before the await fails (a bad cursor), its
 * rejection is not left unhandled; whoever awaits it later still sees it.
 */
function settledLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

/** Books by id, as Prisma's `book.findMany` gives them (in no particular order). */
export function booksById(reader: LeanReader, ids: readonly string[]): Promise<Book[]> {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return Promise.resolve([]);
  return reader.rows<Book>({ name: 'books-by-id', text: `SELECT ${BOOK_COLUMNS} FROM books b WHERE b.id = ANY($1::uuid[])`, values: [valid] });
}

/** Finds or creates each author by name (case-insensitively), in one statement, keeping the order given. */
async function upsertAuthors(tx: Database, names: string[]): Promise<{ id: string; name: string }[]> {
  const keys = names.map(authorKey);
  const rows = await tx.$queryRaw<{ id: string; name: string; name_key: string }[]>`
    INSERT INTO authors (id, name, name_key)
    SELECT uuidv7(), name, name_key FROM unnest(${names}::text[], ${keys}::text[]) AS input(name, name_key)
    -- The same order in every transaction: two books sharing authors wait for each other, never deadlock.
    ORDER BY name_key
    ON CONFLICT (name_key) DO UPDATE SET name_key = EXCLUDED.name_key
    RETURNING id, name, name_key`;
  const byKey = new Map(rows.map((row) => [row.name_key, row]));
  return keys.map((key) => byKey.get(key)!).map(({ id, name }) => ({ id, name }));
}

type AuthorRow = { book_id: string; id: string; name: string; name_key: string; created_at: Date };

/** The authors of each book: through the lean reader for pages, through a transaction when a book changes. */
async function authorsOf(db: Database | LeanReader, bookIds: readonly string[]): Promise<Map<string, Author[]>> {
  const result = new Map<string, Author[]>(bookIds.map((id) => [id, []]));
  if (bookIds.length === 0) return result;
  const text = `SELECT ba.book_id, a.id, a.name, a.name_key, a.created_at
      FROM book_authors ba JOIN authors a ON a.id = ba.author_id
     WHERE ba.book_id = ANY($1::uuid[])
     ORDER BY ba.book_id, ba.position`;
  const rows =
    'rows' in db ? await db.rows<AuthorRow>({ name: 'authors-of-books', text, values: [[...bookIds]] }) : await db.$queryRawUnsafe<AuthorRow[]>(text, [...bookIds]);
  for (const row of rows) {
    result.get(row.book_id)?.push({ id: row.id, name: row.name, nameKey: row.name_key, createdAt: row.created_at });
  }
  return result;
}
