import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTER, routerEnvironment } from '@bazaar/topology';
import { createBook, createListing, GraphQLClient, signUpAs, startTestStack, type TestStack } from '@bazaar/testing';
import type { RunningService, ServiceModule } from '@bazaar/service';
import { loadBooksConfig, startBooksService } from '../src/index';

/**
 * Every list field of the storefront's pages (the search page, a book's offers, a seller's
 * listings, and their counts) costs the books database the same number of SQL statements whether
 * a page holds 5 items or 50: lists nested in lists are batched over their parents, never loaded
 * one parent at a time. The operations go through the real router to a second books instance on
 * the stack's database that counts the statements Prisma sends.
 */
let stack: TestStack;
let counted: RunningService;
let router: RunningService;
let sellerToken: string;
const statements: string[] = [];
const bookIds: string[] = [];

beforeAll(async () => {
  stack = await startTestStack({ subgraphs: ['users', 'books'] });
  const seller = await signUpAs(stack, ['BUYER', 'SELLER'], 'First Seller');
  const other = await signUpAs(stack, ['BUYER', 'SELLER'], 'Second Seller');
  sellerToken = await stack.tokens.issueAccessToken({ id: seller.id, roles: ['BUYER', 'SELLER'] });
  for (let index = 0; index < 60; index += 10) {
    const created = await Promise.all(
      Array.from({ length: 10 }, (_, offset) => createBook(seller.client, { title: `Paged ${index + offset}`, authors: [`Writer ${(index + offset) % 5}`] })),
    );
    bookIds.push(...created.map(({ id }) => id));
  }
  // Every book has an offer from the first seller; the first eight have seven more (two sellers).
  await Promise.all(bookIds.map((bookId, index) => createListing(seller.client, bookId, { amount: 500 + index })));
  for (const bookId of bookIds.slice(0, 8)) {
    await Promise.all(
      Array.from({ length: 7 }, (_, copy) => createListing((copy % 2 === 0 ? other : seller).client, bookId, { amount: 600 + copy })),
    );
  }
  counted = await startBooksService(loadBooksConfig({ ...stack.environment('books'), BOOKS_PORT: '0' }), {
    onQuery: (sql) => statements.push(sql),
  });
  const { service } = (await import(ROUTER.modulePath)) as { service: ServiceModule };
  router = await service.start(
    service.loadConfig(routerEnvironment({ users: stack.services.users!.url, books: counted.url }, 0, stack.baseEnvironment)),
  );
});
afterAll(async () => {
  await router?.stop();
  await counted?.stop();
  await stack?.stop();
});

const SEARCH_PAGE = /* GraphQL */ `
  query($first: Int!) {
    books(first: $first, sort: TITLE) {
      totalCount
      facets { genres { value count } conditions { value count } price { min { amount } max { amount } } }
      edges {
        node {
          id title authors { name } lowestPrice { amount currency } inStock
          listings(first: 10) { totalCount edges { node { id price { amount } seller { id displayName } } } }
        }
      }
    }
  }
`;
const BOOK_PAGE = /* GraphQL */ `
  query($id: ID!, $first: Int!) {
    book(id: $id) {
      id title
      listings(first: $first, sort: PRICE_ASC) {
        totalCount
        edges {
          node {
            id condition price { amount currency }
            seller { id displayName listings(first: $first) { totalCount edges { node { id book { title } } } } }
          }
        }
      }
    }
  }
`;
const MY_LISTINGS = /* GraphQL */ `
  query($first: Int!) {
    me {
      id
      listings(first: $first) {
        totalCount
        edges { node { id status book { id title authors { name } listings(first: $first, sort: NEWEST) { totalCount edges { node { id } } } } } }
      }
    }
  }
`;

/** What the books database runs for one operation: the service's own statements (not its outbox relay). */
async function statementsFor(query: string, variables: Record<string, unknown>, token?: string) {
  const client = new GraphQLClient(router.url, token);
  statements.length = 0;
  const response = await client.request(query, variables);
  expect(response.errors).toBeUndefined();
  const ours = statements.filter((sql) => !/outbox_events|processed_events|dead_letter_events|pg_notify|LISTEN/i.test(sql));
  return { count: ours.length, statements: ours, data: response.data };
}

describe('SQL statements per operation do not grow with the page size', () => {
  it.each([
    ['search page with each book\'s offers', SEARCH_PAGE, () => ({})],
    ['book page with each offer\'s seller and the seller\'s listings', BOOK_PAGE, () => ({ id: bookIds[0] })],
    ['a seller\'s listings with each book\'s offers', MY_LISTINGS, () => ({})],
  ] as const)('%s', async (_name, query, variables) => {
    const five = await statementsFor(query, { ...variables(), first: 5 }, sellerToken);
    const fifty = await statementsFor(query, { ...variables(), first: 50 }, sellerToken);
    console.log(`${_name}: ${five.count} SQL statements for first: 5, ${fifty.count} for first: 50`);
    expect(JSON.stringify(fifty.data).length).toBeGreaterThan(JSON.stringify(five.data).length * 2);
    expect(fifty.statements, fifty.statements.join('\n')).toHaveLength(five.count);
    expect(fifty.count).toBeLessThanOrEqual(10);
  });

  it('gives every parent its own page, count and cursor', async () => {
    const { data } = await statementsFor(BOOK_PAGE, { id: bookIds[0], first: 3 });
    const listings = (data as { book: { listings: { totalCount: number; edges: { node: { price: { amount: number }; seller: { listings: { totalCount: number } } } }[] } } }).book.listings;
    expect(listings.totalCount).toBe(8);
    expect(listings.edges.map(({ node }) => node.price.amount)).toEqual([bookIds.indexOf(bookIds[0]!) + 500, 600, 601]);
    // The first seller offers 1 copy of every book and 3 more of each of the first eight.
    expect(new Set(listings.edges.map(({ node }) => node.seller.listings.totalCount))).toEqual(new Set([60 + 3 * 8, 4 * 8]));
  });
});
