import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBook, createListing, signUpAs, startTestStack, type GraphQLClient, type TestStack } from '@bazaar/testing';
import type { BookSpec } from './helpers';

/**
 * A small deterministic catalog, searched through the router. Every expectation below is derived
 * from these rows.
 */
interface Seeded extends BookSpec {
  id: string;
  offers: { amount: number; condition: string; quantity: number; currency?: string }[];
}

const CATALOG: (BookSpec & { offers: Seeded['offers'] })[] = [
  {
    title: "Harry Potter and the Philosopher's Stone",
    authors: ['J. K. Rowling'],
    description: 'A boy learns he is a wizard.',
    genres: ['Fantasy', 'Children'],
    offers: [{ amount: 899, condition: 'GOOD', quantity: 2 }, { amount: 1499, condition: 'NEW', quantity: 1 }],
  },
  {
    title: 'Harry Potter and the Chamber of Secrets',
    authors: ['J. K. Rowling'],
    description: 'The second year at school.',
    genres: ['Fantasy', 'Children'],
    offers: [{ amount: 950, condition: 'VERY_GOOD', quantity: 1 }],
  },
  {
    title: 'Dragon Keeper',
    authors: ['Robin Hobb'],
    description: 'Serpents return to the river.',
    genres: ['Fantasy'],
    offers: [{ amount: 1200, condition: 'LIKE_NEW', quantity: 1 }],
  },
  {
    title: 'The Quiet Harbour',
    authors: ['Mara Dragon'],
    description: 'A fishing village keeps its secrets.',
    genres: ['Mystery'],
    offers: [{ amount: 650, condition: 'ACCEPTABLE', quantity: 1 }],
  },
  {
    title: 'Stars over Lisbon',
    authors: ['Inês Duarte'],
    description: 'An astronomer, a dragon kite and a long summer.',
    genres: ['Romance'],
    language: 'pt',
    offers: [{ amount: 2100, condition: 'NEW', quantity: 4 }],
  },
  {
    title: 'Le Petit Jardin',
    authors: ['Claire Martin'],
    description: 'Un jardin, une famille.',
    genres: ['Literary Fiction'],
    language: 'fr',
    offers: [],
  },
  {
    title: 'Algorithms Illuminated',
    authors: ['Tim Roughgarden'],
    description: 'Divide and conquer, graphs, greedy algorithms.',
    genres: ['Computer Science'],
    offers: [{ amount: 3200, condition: 'NEW', quantity: 1 }, { amount: 2500, condition: 'GOOD', quantity: 0 }],
  },
  {
    title: 'Zebra Stripes Explained',
    authors: ['Nadia Okafor'],
    description: 'Why zebras have stripes.',
    genres: ['Science', 'Children'],
    offers: [{ amount: 1800, condition: 'GOOD', quantity: 1, currency: 'USD' }],
  },
  {
    title: 'Atlas of Rivers',
    authors: ['Tomas Berg'],
    description: 'Rivers of the world, mapped.',
    genres: ['Science'],
    offers: [{ amount: 4500, condition: 'LIKE_NEW', quantity: 2 }],
  },
  {
    title: 'Bread and Salt',
    authors: ['Mara Dragon'],
    description: 'Recipes from a coastal kitchen.',
    genres: ['Cooking'],
    offers: [{ amount: 1200, condition: 'GOOD', quantity: 3 }],
  },
  ...Array.from({ length: 14 }, (_, index) => ({
    title: `Filler Volume ${String(index + 1).padStart(2, '0')}`,
    authors: ['Serial Writer'],
    description: 'Part of a long series.',
    genres: ['Serial'],
    offers: index % 3 === 0 ? [] : [{ amount: 500 + index * 37, condition: index % 2 ? 'GOOD' : 'NEW', quantity: 1 }],
  })),
];

let stack: TestStack;
let seller: GraphQLClient;
const books: Seeded[] = [];

beforeAll(async () => {
  stack = await startTestStack({ subgraphs: ['users', 'books'] });
  seller = (await signUpAs(stack, ['BUYER', 'SELLER'])).client;
  // Sequential so NEWEST has a known order.
  for (const { offers, ...spec } of CATALOG) {
    const book = await createBook(seller, spec);
    books.push({ ...spec, id: book.id, offers });
  }
  await Promise.all(
    books.flatMap((book) =>
      book.offers.map((offer) => createListing(seller, book.id, offer)),
    ),
  );
});
afterAll(async () => {
  await stack?.stop();
});

const SEARCH = /* GraphQL */ `
  query Search($filter: BookFilter, $sort: BookSort, $first: Int, $after: String) {
    books(filter: $filter, sort: $sort, first: $first, after: $after) {
      totalCount
      edges { cursor node { id title lowestPrice { amount currency } inStock } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
`;

interface SearchResult {
  totalCount: number;
  edges: { cursor: string; node: { id: string; title: string; lowestPrice: { amount: number } | null; inStock: boolean } }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
}

async function search(variables: Record<string, unknown>): Promise<SearchResult> {
  return (await stack.client.data<{ books: SearchResult }>(SEARCH, { first: 100, ...variables })).books;
}
const titles = async (variables: Record<string, unknown>) => (await search(variables)).edges.map(({ node }) => node.title);
const byTitle = (title: string) => books.find((book) => book.title === title)!;

/** What the catalog says a book's cheapest EUR offer on sale is. */
const lowest = (book: Seeded) => {
  const amounts = book.offers.filter((offer) => offer.quantity > 0 && (offer.currency ?? 'EUR') === 'EUR').map(({ amount }) => amount);
  return amounts.length > 0 ? Math.min(...amounts) : null;
};

describe('full-text search', () => {
  it('ranks a title match above an author match above a description match', async () => {
    const found = await titles({ filter: { query: 'dragon' } });
    expect(found[0]).toBe('Dragon Keeper');
    expect(found.slice(1, 3).sort()).toEqual(['Bread and Salt', 'The Quiet Harbour']);
    expect(found[3]).toBe('Stars over Lisbon');
    expect(found).toHaveLength(4);
  });

  it('finds a misspelt title by similarity ("harry poter")', async () => {
    const found = await titles({ filter: { query: 'harry poter' } });
    expect(found.slice(0, 2).sort()).toEqual(['Harry Potter and the Chamber of Secrets', "Harry Potter and the Philosopher's Stone"]);
    expect(await titles({ filter: { query: 'algoritms iluminated' } })).toEqual(['Algorithms Illuminated']);
  });

  it('matches stemmed words and finds nothing for nonsense', async () => {
    expect(await titles({ filter: { query: 'zebra' } })).toEqual(['Zebra Stripes Explained']);
    expect(await titles({ filter: { query: 'qwxzyv' } })).toEqual([]);
  });
});

describe('filters', () => {
  it('by author name and by author id', async () => {
    expect((await titles({ filter: { author: 'mara drag' }, sort: 'TITLE' }))).toEqual(['Bread and Salt', 'The Quiet Harbour']);
    const { book } = await stack.client.data<{ book: { authors: { id: string }[] } }>(`query($id: ID!) { book(id: $id) { authors { id } } }`, {
      id: byTitle('Dragon Keeper').id,
    });
    expect(await titles({ filter: { authorId: book.authors[0]!.id } })).toEqual(['Dragon Keeper']);
  });

  it('by genre (any of those given)', async () => {
    const expected = books.filter((b) => b.genres?.some((g) => ['Mystery', 'Cooking'].includes(g))).map((b) => b.title).sort();
    expect(await titles({ filter: { genres: ['Mystery', 'Cooking'] }, sort: 'TITLE' })).toEqual(expected);
  });

  it('by language', async () => {
    expect(await titles({ filter: { language: 'pt' } })).toEqual(['Stars over Lisbon']);
    expect(await titles({ filter: { language: 'FR' } })).toEqual(['Le Petit Jardin']);
  });

  it('by price range over offers on sale, in EUR by default or the currency given', async () => {
    const inRange = books
      .filter((b) => b.offers.some((o) => o.quantity > 0 && (o.currency ?? 'EUR') === 'EUR' && o.amount >= 900 && o.amount <= 1300))
      .map((b) => b.title)
      .sort();
    expect(inRange.length).toBeGreaterThan(2);
    expect(await titles({ filter: { price: { min: 900, max: 1300 } }, sort: 'TITLE' })).toEqual(inRange);
    expect(await titles({ filter: { price: { max: 2000, currency: 'usd' } } })).toEqual(['Zebra Stripes Explained']);
    // Algorithms' 2500 offer has no copies left, so 2400..2600 matches nothing.
    expect(await titles({ filter: { price: { min: 2400, max: 2600 } } })).toEqual([]);
  });

  it('by condition of an offer on sale', async () => {
    const expected = books
      .filter((b) => b.offers.some((o) => o.quantity > 0 && ['LIKE_NEW', 'ACCEPTABLE'].includes(o.condition)))
      .map((b) => b.title)
      .sort();
    expect(await titles({ filter: { conditions: ['LIKE_NEW', 'ACCEPTABLE'] }, sort: 'TITLE' })).toEqual(expected);
  });

  it('by stock', async () => {
    const inStock = books.filter((b) => b.offers.some((o) => o.quantity > 0)).map((b) => b.title).sort();
    const outOfStock = books.filter((b) => !b.offers.some((o) => o.quantity > 0)).map((b) => b.title).sort();
    expect(await titles({ filter: { inStock: true }, sort: 'TITLE' })).toEqual(inStock);
    expect(await titles({ filter: { inStock: false }, sort: 'TITLE' })).toEqual(outOfStock);
  });

  it('combines filters with the query', async () => {
    expect(await titles({ filter: { query: 'harry potter', conditions: ['NEW'] } })).toEqual(["Harry Potter and the Philosopher's Stone"]);
  });

  it('refuses bad filter values with BAD_USER_INPUT', async () => {
    expect(await stack.client.errorCodes(SEARCH, { filter: { price: { min: -1 } } })).toEqual(['BAD_USER_INPUT']);
    expect(await stack.client.errorCodes(SEARCH, { filter: { price: { currency: 'ZZZ' } } })).toEqual(['BAD_USER_INPUT']);
    expect(await stack.client.errorCodes(SEARCH, { first: 0 })).toEqual(['BAD_USER_INPUT']);
    expect(await stack.client.errorCodes(SEARCH, { after: 'not-a-cursor' })).toEqual(['BAD_USER_INPUT']);
  });
});

describe('sorts', () => {
  const collator = new Intl.Collator('en');

  it('TITLE: A to Z', async () => {
    const found = await titles({ sort: 'TITLE' });
    expect(found).toHaveLength(books.length);
    expect(found).toEqual([...found].sort(collator.compare));
    expect(found[0]).toBe('Algorithms Illuminated');
  });

  it('NEWEST: last added first', async () => {
    expect(await titles({ sort: 'NEWEST' })).toEqual(books.map(({ title }) => title).reverse());
  });

  it('PRICE_ASC and PRICE_DESC: by cheapest EUR offer on sale, books without one last', async () => {
    const asc = (await search({ sort: 'PRICE_ASC' })).edges.map(({ node }) => node);
    const desc = (await search({ sort: 'PRICE_DESC' })).edges.map(({ node }) => node);
    for (const node of asc) expect(node.lowestPrice?.amount ?? null).toBe(lowest(books.find((b) => b.id === node.id)!));
    const priced = (list: typeof asc) => list.filter((node) => node.lowestPrice).map((node) => node.lowestPrice!.amount);
    expect(priced(asc)).toEqual([...priced(asc)].sort((a, b) => a - b));
    expect(priced(desc)).toEqual([...priced(desc)].sort((a, b) => b - a));
    const unpriced = books.filter((b) => lowest(b) === null).length;
    expect(asc.slice(-unpriced).every((node) => node.lowestPrice === null)).toBe(true);
    expect(desc.slice(-unpriced).every((node) => node.lowestPrice === null)).toBe(true);
    expect(asc[0]!.lowestPrice!.amount).toBe(Math.min(...books.map(lowest).filter((v): v is number => v !== null)));
  });

  it('RELEVANCE without a query sorts by title', async () => {
    expect(await titles({})).toEqual(await titles({ sort: 'TITLE' }));
  });
});

describe('pagination', () => {
  it.each([
    ['RELEVANCE', { query: 'harry or dragon or volume' }],
    ['TITLE', {}],
    ['NEWEST', {}],
    ['PRICE_ASC', {}],
    ['PRICE_DESC', {}],
  ])('%s: pages of 4 give every book once, in the one-page order', async (sort, filter) => {
    const all = await search({ sort, filter });
    expect(all.edges.length).toBeGreaterThan(8);
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const page: SearchResult = await search({ sort, filter, first: 4, after });
      expect(page.totalCount).toBe(all.totalCount);
      expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
      seen.push(...page.edges.map(({ node }) => node.id));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      pages += 1;
    } while (after && pages < 20);
    expect(seen).toEqual(all.edges.map(({ node }) => node.id));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('does not repeat or skip when a book is added between pages', async () => {
    const first = await search({ sort: 'TITLE', first: 5 });
    await createBook(seller, { title: 'Aardvark Almanac', authors: ['Early Bird'] }); // sorts before the cursor
    const next = await search({ sort: 'TITLE', first: 5, after: first.pageInfo.endCursor });
    const firstIds = new Set(first.edges.map(({ node }) => node.id));
    expect(next.edges.some(({ node }) => firstIds.has(node.id))).toBe(false);
    const everything = (await search({ sort: 'TITLE' })).edges.map(({ node }) => node.title);
    const lastOfFirst = first.edges.at(-1)!.node.title;
    expect(next.edges.map(({ node }) => node.title)).toEqual(everything.slice(everything.indexOf(lastOfFirst) + 1, everything.indexOf(lastOfFirst) + 6));
  });
});

describe('facets', () => {
  it('counts genres, languages and conditions, and gives the price range, over every matching book', async () => {
    const { books: result } = await stack.client.data<{
      books: { totalCount: number; facets: { genres: { value: string; count: number }[]; languages: { value: string; count: number }[]; conditions: { value: string; count: number }[]; price: { min: { amount: number }; max: { amount: number } } } };
    }>(
      `{ books(filter: { genres: ["Fantasy", "Mystery"] }) { totalCount facets {
          genres { value count } languages { value count } conditions { value count } price { min { amount currency } max { amount currency } } } } }`,
    );
    expect(result.totalCount).toBe(4);
    expect(result.facets.genres).toEqual([
      { value: 'Fantasy', count: 3 },
      { value: 'Children', count: 2 },
      { value: 'Mystery', count: 1 },
    ]);
    expect(result.facets.languages).toEqual([{ value: 'en', count: 4 }]);
    expect(result.facets.conditions).toEqual([
      { value: 'ACCEPTABLE', count: 1 },
      { value: 'GOOD', count: 1 },
      { value: 'LIKE_NEW', count: 1 },
      { value: 'NEW', count: 1 },
      { value: 'VERY_GOOD', count: 1 },
    ]);
    expect(result.facets.price).toEqual({ min: { amount: 650, currency: 'EUR' }, max: { amount: 1499, currency: 'EUR' } });
  });
});

describe('a book\'s listings', () => {
  it('pages the offers on sale, cheapest first, filtered by condition', async () => {
    const book = byTitle("Harry Potter and the Philosopher's Stone");
    const query = `query($id: ID!, $condition: ListingCondition, $after: String) { book(id: $id) {
      listings(first: 1, condition: $condition, after: $after) { totalCount edges { node { price { amount } condition } } pageInfo { hasNextPage endCursor } } } }`;
    type Result = { book: { listings: { totalCount: number; edges: { node: { price: { amount: number }; condition: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } } };
    const first = await stack.client.data<Result>(query, { id: book.id });
    expect(first.book.listings.totalCount).toBe(2);
    expect(first.book.listings.edges.map(({ node }) => node.price.amount)).toEqual([899]);
    const second = await stack.client.data<Result>(query, { id: book.id, after: first.book.listings.pageInfo.endCursor });
    expect(second.book.listings.edges.map(({ node }) => node.price.amount)).toEqual([1499]);
    expect(second.book.listings.pageInfo.hasNextPage).toBe(false);
    const onlyNew = await stack.client.data<Result>(query, { id: book.id, condition: 'NEW' });
    expect(onlyNew.book.listings.edges.map(({ node }) => node.condition)).toEqual(['NEW']);
  });
});
