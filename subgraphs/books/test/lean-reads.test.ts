import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createPrismaClient } from '@bazaar/bootstrap';
import { leanReader, type LeanReader } from '@bazaar/service';
import { createBook, createListing, signUpAs, startTestStack, type TestStack } from '@bazaar/testing';
import { PrismaClient } from '../src/generated/prisma/client';
import { booksById } from '../src/domain/catalog';
import { listingsById } from '../src/domain/listings';
import { ListingPages, type ListingSort } from '../src/domain/listing-pages';
import { bookFilter } from '../src/domain/rules';
import { searchPage, type BookSort } from '../src/domain/search';
import { countMatches, facets } from '../src/domain/search-facets';

/**
 * The storefront's reads through the lean reader (node-postgres) give what they gave through
 * Prisma, value for value: rows by id, every listing sort's pages and cursors, search pages,
 * counts and facets. Also prints the CPU per read of both paths (figures for docs/performance.md).
 */
let stack: TestStack;
let prisma: PrismaClient;
let pool: pg.Pool;
let reader: LeanReader;
const bookIds: string[] = [];
const listingIds: string[] = [];
const CONDITIONS = ['NEW', 'LIKE_NEW', 'GOOD', 'ACCEPTABLE'] as const;

beforeAll(async () => {
  stack = await startTestStack({ subgraphs: ['users', 'books'] });
  const seller = (await signUpAs(stack, ['BUYER', 'SELLER'])).client;
  const otherSeller = (await signUpAs(stack, ['BUYER', 'SELLER'])).client;
  for (let index = 0; index < 12; index++) {
    const book = await createBook(seller, { title: `Lean Story ${index}`, authors: [`Writer ${index % 3}`, 'Second Writer'], genres: [index % 2 ? 'mystery' : 'fantasy'] });
    bookIds.push(book.id);
    for (let offer = 0; offer < 3; offer++) {
      // Equal prices across sellers, so the cursors' tie-breaks are exercised too.
      const listing = await createListing(offer % 2 ? otherSeller : seller, book.id, { amount: 500 + 100 * ((index + offer) % 4), condition: CONDITIONS[(index + offer) % 4], quantity: offer });
      listingIds.push(listing.id);
    }
  }
  const url = stack.databases.books!.url;
  prisma = createPrismaClient((options) => new PrismaClient(options), url);
  pool = new pg.Pool({ connectionString: url, max: 2 });
  reader = leanReader(pool);
}, 300_000);
afterAll(async () => {
  await prisma?.$disconnect();
  await pool?.end();
  await stack?.stop();
});

const byId = <Row extends { id: string }>(rows: Row[]) => [...rows].sort((a, b) => a.id.localeCompare(b.id));

describe('lean reads give what Prisma gave', () => {
  it('books and listings by id, including ids that are not ours', async () => {
    const ids = [...bookIds, 'not-a-uuid', '00000000-0000-7000-8000-000000000000'];
    const prismaBooks = await prisma.book.findMany({ where: { id: { in: bookIds } } });
    expect(byId(await booksById(reader, ids))).toEqual(byId(prismaBooks));
    const prismaListings = await prisma.listing.findMany({ where: { id: { in: listingIds } } });
    expect(byId(await listingsById(reader, [...listingIds, 'nope']))).toEqual(byId(prismaListings));
    expect(await booksById(reader, ['nope'])).toEqual([]);
  });

  it.each<ListingSort>(['PRICE_ASC', 'PRICE_DESC', 'NEWEST', 'SELLER_RATING'])('every page and cursor of Book.listings sorted %s', async (sort) => {
    const walk = async (pages: ListingPages) => {
      const seen: unknown[] = [];
      for (const bookId of bookIds.slice(0, 4)) {
        let after: string | null = null;
        for (;;) {
          const connection = await pages.ofBook(bookId, { first: 1, after, sort });
          seen.push({ ...connection, totalCount: await connection.totalCount() });
          if (!connection.pageInfo.hasNextPage) break;
          after = connection.pageInfo.endCursor;
        }
      }
      return seen;
    };
    const lean = await walk(new ListingPages(reader));
    expect(lean.length).toBeGreaterThan(4);
    expect(lean).toEqual(await walk(new ListingPages(prisma)));
  });

  it.each<[string, BookSort, object]>([
    ['a word', 'RELEVANCE', { query: 'lean story' }],
    ['a genre by price', 'PRICE_ASC', { genres: ['mystery'] }],
    ['the browse', 'TITLE', {}],
    ['the newest', 'NEWEST', {}],
    ['an author with an offer condition', 'PRICE_DESC', { author: 'writer 1', conditions: ['GOOD'] }],
  ])('search pages, count and facets: %s', async (_name, sort, rawFilter) => {
    const filter = bookFilter.parse(rawFilter);
    const walk = async (db: LeanReader | PrismaClient) => {
      const pages: unknown[] = [];
      let after: string | null = null;
      for (let page = 0; page < 20; page++) {
        const rows = await searchPage(db, { filter, sort, first: 3, after });
        pages.push(rows);
        if (rows.length <= 3) break;
        after = rows[2]!.cursor;
      }
      return { pages, count: await countMatches(db, filter), facets: await facets(db, filter) };
    };
    const lean = await walk(reader);
    expect(lean.pages.length).toBeGreaterThan(0);
    expect(lean).toEqual(await walk(prisma));
  });
});

const pagesOfEveryBook = (pages: ListingPages) => Promise.all(bookIds.map((bookId) => pages.ofBook(bookId, { first: 5 })));

describe('CPU per read (figures, not asserted)', () => {
  it('prints Prisma against the lean reader, interleaved', async () => {
    const reads: [string, () => Promise<unknown>, () => Promise<unknown>][] = [
      ['12 books by id', () => prisma.book.findMany({ where: { id: { in: bookIds } } }), () => booksById(reader, bookIds)],
      ['36 listings by id', () => prisma.listing.findMany({ where: { id: { in: listingIds } } }), () => listingsById(reader, listingIds)],
      ['listing pages of 12 books (one batch)', () => pagesOfEveryBook(new ListingPages(prisma)), () => pagesOfEveryBook(new ListingPages(reader))],
      ['a search page', () => searchPage(prisma, { filter: bookFilter.parse({ query: 'lean story' }), sort: 'RELEVANCE', first: 5, after: null }), () => searchPage(reader, { filter: bookFilter.parse({ query: 'lean story' }), sort: 'RELEVANCE', first: 5, after: null })],
    ];
    for (const [name, viaPrisma, viaLean] of reads) {
      const cpu = { prisma: 0, lean: 0 };
      const measure = async (path: 'prisma' | 'lean', read: () => Promise<unknown>) => {
        const before = process.cpuUsage();
        for (let index = 0; index < 20; index++) await read();
        const used = process.cpuUsage(before);
        cpu[path] += (used.user + used.system) / 1000;
      };
      for (let block = 0; block < 10; block++) {
        await measure('prisma', viaPrisma);
        await measure('lean', viaLean);
      }
      console.log(`${name}: Prisma ${(cpu.prisma / 200).toFixed(3)} ms CPU per read, lean ${(cpu.lean / 200).toFixed(3)} ms (${(cpu.prisma / cpu.lean).toFixed(2)}×)`);
      expect(cpu.lean).toBeGreaterThan(0);
    }
  });
});
