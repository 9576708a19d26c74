import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBook, createListing, GraphQLClient, signUpAs, startTestStack, secondInstanceEnvironment, type TestStack } from '@bazaar/testing';
import type { RunningService } from '@bazaar/service';
import { loadBooksConfig, startBooksService } from '../src/index';

/**
 * Entity references are resolved in batches: the router asks for N books in one `_entities` call,
 * and the subgraph answers with a constant number of SQL statements, whatever N is. A second books
 * instance on the same database counts the statements Prisma sends.
 */
let stack: TestStack;
let counted: RunningService;
const statements: string[] = [];
const bookIds: string[] = [];
const listingIds: string[] = [];

beforeAll(async () => {
  stack = await startTestStack({ subgraphs: ['users', 'books'] });
  const seller = (await signUpAs(stack, ['BUYER', 'SELLER'])).client;
  for (let index = 0; index < 100; index += 10) {
    const created = await Promise.all(
      Array.from({ length: 10 }, (_, offset) => createBook(seller, { title: `Batch ${index + offset}`, authors: [`Author ${(index + offset) % 7}`, 'Co Author'] })),
    );
    bookIds.push(...created.map(({ id }) => id));
  }
  for (const bookId of bookIds.slice(0, 30)) listingIds.push((await createListing(seller, bookId, { amount: 1000 + listingIds.length })).id);
  counted = await startBooksService(
    loadBooksConfig(secondInstanceEnvironment(stack, 'books')),
    { onQuery: (sql) => statements.push(sql) },
  );
});
afterAll(async () => {
  await counted?.stop();
  await stack?.stop();
});

const BOOK_ENTITIES = /* GraphQL */ `
  query($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on Book { id title authors { name } lowestPrice { amount currency } inStock }
    }
  }
`;
const LISTING_ENTITIES = /* GraphQL */ `
  query($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on Listing { id price { amount } seller { id } book { title authors { name } } }
    }
  }
`;

async function countStatements(query: string, representations: unknown[]) {
  statements.length = 0;
  const client = new GraphQLClient(counted.url);
  const data = await client.data<{ _entities: ({ id: string } | null)[] }>(query, { representations });
  return { count: statements.length, entities: data._entities };
}

describe('entity references', () => {
  it('resolves 100 books with their authors in a constant number of statements', async () => {
    const hundred = await countStatements(BOOK_ENTITIES, bookIds.map((id) => ({ __typename: 'Book', id })));
    expect(hundred.entities.map((entity) => entity?.id)).toEqual(bookIds);
    expect(hundred.entities[0]).toMatchObject({ title: 'Batch 0', authors: [{ name: 'Author 0' }, { name: 'Co Author' }] });
    const ten = await countStatements(BOOK_ENTITIES, bookIds.slice(0, 10).map((id) => ({ __typename: 'Book', id })));
    expect(hundred.count).toBeGreaterThan(0);
    expect(hundred.count).toBeLessThanOrEqual(2); // books by id, authors by book id
    expect(ten.count).toBe(hundred.count);
  });

  it('resolves listings, their books and authors in a constant number of statements', async () => {
    const thirty = await countStatements(LISTING_ENTITIES, listingIds.map((id) => ({ __typename: 'Listing', id })));
    expect(thirty.entities.map((entity) => entity?.id)).toEqual(listingIds);
    const three = await countStatements(LISTING_ENTITIES, listingIds.slice(0, 3).map((id) => ({ __typename: 'Listing', id })));
    expect(thirty.count).toBeLessThanOrEqual(3); // listings, books, authors
    expect(three.count).toBe(thirty.count);
  });

  it('answers unknown ids with null, still in one batch', async () => {
    const result = await countStatements(BOOK_ENTITIES, [
      { __typename: 'Book', id: bookIds[0] },
      { __typename: 'Book', id: '0190a1c4-0000-7000-8000-000000000000' },
      { __typename: 'Book', id: 'not-a-uuid' },
    ]);
    expect(result.entities.map((entity) => entity?.id ?? null)).toEqual([bookIds[0], null, null]);
    expect(result.count).toBeLessThanOrEqual(2);
  });
});
