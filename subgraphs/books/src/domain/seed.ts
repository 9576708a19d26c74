import { type Outbox } from '@bazaar/events';
import { BookCreated, ListingCreated } from '@bazaar/contracts/books';
import { Faker, en } from '@faker-js/faker';
import { DEMO_SELLER_IDS } from '@bazaar/demo';
import type { Prisma, PrismaClient } from '../generated/prisma/client';
import { isbn13From } from './isbn';
import { listingCreatedData } from './listings';
import { refreshAllOffers } from './offers';
import { authorKey, CONDITIONS } from './rules';

export interface SeedOptions {
  /** How many books (default 2,000). */
  size?: number;
  /** Fixed seed: the same size gives the same catalog every time. */
  seed?: number;
  sellerIds?: readonly string[];
  /**
   * Announces the seeded books and listings (BookCreated, ListingCreated), so the other services'
   * projections (reviews, cart, wishlist) learn the demo catalog like any other. Every way to seed
   * passes it: a catalog the rest of the graph never heard of answers NOT_FOUND in carts.
   */
  outbox: Outbox;
  log?: (line: string) => void;
}

export interface SeedResult {
  books: number;
  authors: number;
  listings: number;
}

const CHUNK = 5_000;
const LANGUAGES = ['en', 'en', 'en', 'en', 'en', 'en', 'fr', 'de', 'es', 'it', 'pt', 'nl'];
const CURRENCIES = ['EUR', 'EUR', 'EUR', 'EUR', 'EUR', 'EUR', 'EUR', 'EUR', 'GBP', 'USD'];
const REFERENCE_DATE = new Date('2026-11-01T00:00:00Z');

/**
 * A realistic, deterministic demo catalog: books over many genres and authors, and listings from the
 * demo sellers with varied prices, conditions and stock. The same options give the same ids, which
 * is how other services' demo data can refer to the demo books.
 */
function generateDemoCatalog(options: Pick<SeedOptions, 'size' | 'seed' | 'sellerIds'> = {}) {
  const size = options.size ?? 2000;
  const sellers = options.sellerIds ?? DEMO_SELLER_IDS;
  const faker = new Faker({ locale: [en] });
  faker.seed(options.seed ?? 20261125);

  // Authors: famous ones from faker's book module plus generated names; about one per three books.
  const authorCount = Math.max(50, Math.round(size / 3));
  const authors = new Map<string, { id: string; name: string; nameKey: string }>();
  for (let attempt = 0; authors.size < authorCount && attempt < authorCount * 3; attempt++) {
    const name = attempt % 4 === 0 ? faker.book.author() : faker.person.fullName();
    const nameKey = authorKey(name);
    if (!authors.has(nameKey)) authors.set(nameKey, { id: faker.string.uuid(), name, nameKey });
  }
  const authorList = [...authors.values()];

  const books = [];
  const bookAuthors: { bookId: string; authorId: string; position: number }[] = [];
  const listings = [];
  for (let index = 0; index < size; index++) {
    const id = faker.string.uuid();
    const credited = faker.helpers.arrayElements(authorList, faker.helpers.weightedArrayElement([
      { weight: 8, value: 1 },
      { weight: 2, value: 2 },
      { weight: 1, value: 3 },
    ]));
    const title =
      index % 3 === 0
        ? faker.book.title()
        : `${capitalise(faker.word.adjective())} ${capitalise(faker.word.noun())}${faker.datatype.boolean(0.3) ? ` of ${capitalise(faker.location.city())}` : ''}`;
    books.push({
      id,
      isbn13: isbn13From(String(100_000_000 + index * 7).slice(-9)),
      title,
      subtitle: faker.datatype.boolean(0.25) ? `A ${faker.word.adjective()} ${faker.book.genre().toLowerCase()} story` : null,
      description: faker.lorem.paragraph({ min: 2, max: 5 }),
      genres: faker.helpers.arrayElements([faker.book.genre(), faker.book.genre(), faker.book.genre()], { min: 1, max: 2 }).filter(unique),
      language: faker.helpers.arrayElement(LANGUAGES),
      pageCount: faker.number.int({ min: 80, max: 900 }),
      publishedYear: faker.number.int({ min: 1920, max: 2026 }),
      publisher: faker.book.publisher(),
      coverUrl: `https://covers.bookbazaar.dev/${id}.jpg`,
      authorNames: credited.map(({ name }) => name).join(', '),
      createdAt: faker.date.past({ years: 2, refDate: REFERENCE_DATE }),
    });
    credited.forEach((author, position) => bookAuthors.push({ bookId: id, authorId: author.id, position }));
    const offers = faker.helpers.weightedArrayElement([
      { weight: 2, value: 0 },
      { weight: 4, value: 1 },
      { weight: 3, value: 2 },
      { weight: 1, value: 4 },
    ]);
    const base = faker.number.int({ min: 299, max: 3999 });
    for (let offer = 0; offer < offers; offer++) {
      const condition = faker.helpers.arrayElement(CONDITIONS);
      const discount = { NEW: 1, LIKE_NEW: 0.85, VERY_GOOD: 0.7, GOOD: 0.55, ACCEPTABLE: 0.35 }[condition];
      const quantity = faker.helpers.weightedArrayElement([
        { weight: 2, value: 0 },
        { weight: 5, value: 1 },
        { weight: 2, value: faker.number.int({ min: 2, max: 5 }) },
        { weight: 1, value: faker.number.int({ min: 6, max: 40 }) },
      ]);
      listings.push({
        id: faker.string.uuid(),
        bookId: id,
        sellerId: faker.helpers.arrayElement(sellers),
        condition,
        priceAmount: Math.max(99, Math.round((base * discount) / 10) * 10 - 1),
        currency: faker.helpers.arrayElement(CURRENCIES),
        quantity,
        status: quantity === 0 ? ('SOLD_OUT' as const) : faker.datatype.boolean(0.05) ? ('PAUSED' as const) : ('ACTIVE' as const),
        createdAt: faker.date.past({ years: 1, refDate: REFERENCE_DATE }),
      });
    }
  }
  return { authors: authorList, books, bookAuthors, listings, creator: sellers[0]! };
}

type DemoCatalog = ReturnType<typeof generateDemoCatalog>;

/**
 * Inserts the demo catalog into an empty catalog (returns zeros otherwise), in bulk: 2,000 books
 * take a few seconds, 100,000 about two minutes.
 */
export async function seedDemoCatalog(db: PrismaClient, options: SeedOptions): Promise<SeedResult> {
  if ((await db.book.count()) > 0) return { books: 0, authors: 0, listings: 0 };
  const catalog = generateDemoCatalog(options);
  const { authors: authorList, books, bookAuthors, listings } = catalog;

  // One transaction: a crash half-way leaves an empty catalog (seeded again next start), never half of one.
  await db.$transaction(
    async (tx) => {
      for (const chunk of chunks(authorList)) await tx.author.createMany({ data: chunk });
      for (const chunk of chunks(books)) await tx.book.createMany({ data: chunk });
      for (const chunk of chunks(bookAuthors)) await tx.bookAuthor.createMany({ data: chunk });
      for (const chunk of chunks(listings)) await tx.listing.createMany({ data: chunk });
      await refreshAllOffers(tx);
      await announceCatalog(tx, options.outbox, catalog);
    },
    { timeout: 30 * 60_000, maxWait: 30_000 },
  );
  options.log?.(`seeded ${books.length} books, ${authorList.length} authors, ${listings.length} listings`);
  return { books: books.length, authors: authorList.length, listings: listings.length };
}

/** BookCreated and ListingCreated for every seeded book and listing, in the seeding transaction. */
async function announceCatalog(tx: Prisma.TransactionClient, outbox: Outbox, catalog: DemoCatalog): Promise<void> {
  const { authors: authorList, books, bookAuthors, listings, creator } = catalog;
  const authorNames = new Map(authorList.map((author) => [author.id, author.name]));
  const creditsOf = new Map<string, string[]>();
  for (const credit of bookAuthors) creditsOf.set(credit.bookId, [...(creditsOf.get(credit.bookId) ?? []), authorNames.get(credit.authorId)!]);
  for (const chunk of chunks(books)) {
    await outbox.addMany(
      tx,
      BookCreated,
      chunk.map((book) => ({
        key: book.id,
        data: { bookId: book.id, isbn13: book.isbn13, title: book.title, authors: creditsOf.get(book.id) ?? [], genres: book.genres, createdBy: creator },
      })),
    );
  }
  for (const chunk of chunks(listings)) {
    await outbox.addMany(
      tx,
      ListingCreated,
      chunk.map((listing) => ({ key: listing.id, data: listingCreatedData(listing) })),
    );
  }
}

const capitalise = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);
const unique = <T>(value: T, index: number, all: T[]) => all.indexOf(value) === index;

function* chunks<T>(items: T[]): Generator<T[]> {
  for (let start = 0; start < items.length; start += CHUNK) yield items.slice(start, start + CHUNK);
}
