import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRouterConfig, startRouter, subgraphUrlVariable } from '@bazaar/router';
import type { RunningService } from '@bazaar/service';
import { listBook, signUpAs, startTestStack, type TestStack } from '@bazaar/testing';

/**
 * The router passes a subgraph's answer through when the plan is one fetch whose selection is the
 * client's (router/src/single-fetch.ts). Every request here goes to that router and to one with the
 * pass-through off, over the same subgraphs and data: the two answers must be the same bytes, and
 * the pass-through router's /metrics must show which path answered, so the fast path cannot quietly
 * stop being taken (or be taken where it must not).
 */

let stack: TestStack;
let gatewayOnly: RunningService;
let token: string;
let isbn: string;
const cleanup: Array<() => Promise<unknown>> = [];

const operationFile = (path: string) => readFileSync(new URL(`../schema/operations/${path}`, import.meta.url), 'utf8');

async function startRouterWith(env: Record<string, string>): Promise<RunningService> {
  const router = await startRouter(
    loadRouterConfig({
      ...stack.baseEnvironment,
      ROUTER_PORT: '0',
      ...Object.fromEntries(Object.entries(stack.services).map(([name, service]) => [subgraphUrlVariable(name), service.url])),
      ...env,
    }),
  );
  cleanup.push(() => router.stop());
  return router;
}

beforeAll(async () => {
  // The subgraphs these requests reach (SearchBooks asks reviews and wishlist too).
  stack = await startTestStack({ subgraphs: ['users', 'books', 'reviews', 'wishlist'] });
  cleanup.push(() => stack.stop());
  gatewayOnly = await startRouterWith({ SINGLE_FETCH_PASS_THROUGH: 'false' });
  const seller = await signUpAs(stack, ['SELLER', 'BUYER'], 'Pass Through Seller');
  token = await stack.tokens.issueAccessToken({ id: seller.id, roles: ['SELLER', 'BUYER'] });
  await listBook(seller.client, { title: 'Alpha Passage', authors: ['Ann Author', 'Bo Writer'], genres: ['fiction'], publishedYear: 1999 });
  await listBook(seller.client, { title: 'Beta Passage', authors: ['Cy Poet'], genres: ['poetry', 'fiction'] }, { amount: 2500 });
  const { bookId } = await listBook(seller.client, { title: 'Gamma Passage', authors: ['Ann Author'], description: 'Line one.\nLine two "quoted".' });
  isbn = (await stack.client.data<{ book: { isbn13: string } }>('query($id: ID!) { book(id: $id) { isbn13 } }', { id: bookId })).book.isbn13;
}, 240_000);

afterAll(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => {});
});

interface Case {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
  headers?: Record<string, string>;
  signedIn?: boolean;
  /** How the pass-through router must answer it. */
  path: 'pass_through' | 'gateway';
}

const CASES: Case[] = [
  { name: 'a plain list', path: 'pass_through', query: '{ books(first: 5, sort: TITLE) { totalCount edges { cursor node { id title subtitle genres publishedYear } } } }' },
  {
    name: 'aliases, a named fragment, an inline fragment and __typename',
    path: 'pass_through',
    query: `query Aliased($first: Int) { list: books(first: $first, sort: NEWEST) { ...Page } }
      fragment Page on BookConnection { pageInfo { hasNextPage endCursor } edges { node { __typename id t: title ... on Book { authors { name } d: description } } } }`,
    variables: { first: 2 },
  },
  {
    name: '@skip and @include by variable, both ways',
    path: 'pass_through',
    query: 'query Toggle($with: Boolean!) { books(first: 3, sort: TITLE) { totalCount @skip(if: $with) edges { node { title subtitle @include(if: $with) } } } }',
    variables: { with: true },
  },
  {
    name: '@skip and @include by variable, the other way',
    path: 'pass_through',
    query: 'query Toggle($with: Boolean!) { books(first: 3, sort: TITLE) { totalCount @skip(if: $with) edges { node { title subtitle @include(if: $with) } } } }',
    variables: { with: false },
  },
  {
    name: 'repeated fields merged, an untyped fragment under a directive',
    path: 'pass_through',
    query: 'query Merged($more: Boolean!) { books(first: 3, sort: TITLE) { edges { node { id } } edges { node { title ... @include(if: $more) { genres language } } } } }',
    variables: { more: true },
  },
  {
    name: 'listings with enums, money, a seller reference and times',
    path: 'pass_through',
    query: '{ books(first: 3, sort: TITLE) { edges { node { title lowestPrice { amount currency } listings(first: 2) { totalCount edges { node { condition status price { amount currency } seller { id } createdAt } } } } } } }',
  },
  {
    name: '@include by a variable left to its default',
    path: 'pass_through',
    query: 'query DefaultedToggle($more: Boolean = true) { books(first: 2, sort: TITLE) { edges { node { title genres @include(if: $more) } } } }',
  },
  { name: 'a variable left to its default', path: 'pass_through', query: 'query Defaults($first: Int = 2) { books(first: $first, sort: TITLE) { edges { node { title } } } }' },
  { name: 'the client operation BookByIsbn', path: 'pass_through', query: operationFile('storefront/book-by-isbn.graphql'), variables: { isbn: 'ISBN' } },
  { name: 'an unknown book (null, no error)', path: 'pass_through', query: 'query($id: ID!) { book(id: $id) { id title } }', variables: { id: 'no-such-book' } },
  { name: 'one of two operations, by name', path: 'pass_through', operationName: 'Second', query: 'query First { me { id } } query Second { books(first: 1, sort: TITLE) { totalCount } }' },
  { name: 'the signed-in user', path: 'pass_through', signedIn: true, query: '{ me { id displayName } }' },
  { name: 'a subgraph error (a malformed ISBN: BAD_USER_INPUT)', path: 'gateway', query: 'query($isbn: String!) { bookByIsbn(isbn: $isbn) { id } }', variables: { isbn: 'not-an-isbn' } },
  { name: 'a page size out of range', path: 'gateway', query: '{ books(first: 1000) { totalCount } }' },
  { name: 'a variable of the wrong type', path: 'gateway', query: 'query($first: Int) { books(first: $first) { totalCount } }', variables: { first: 'many' } },
  { name: 'a missing required variable', path: 'gateway', query: 'query($id: ID!) { book(id: $id) { id } }', variables: {} },
  { name: 'fields from several subgraphs (the client operation SearchBooks)', path: 'gateway', query: operationFile('storefront/search-books.graphql'), variables: { first: 3, sort: 'TITLE' } },
  { name: 'root __typename beside a field', path: 'gateway', query: '{ __typename books(first: 1, sort: TITLE) { totalCount } }' },
  { name: 'introspection beside a field', path: 'gateway', query: '{ __schema { queryType { name } } books(first: 1, sort: TITLE) { totalCount } }' },
  {
    name: 'a request for its query plan',
    path: 'gateway',
    headers: { 'apollo-query-plan-experimental': '1' },
    query: '{ books(first: 1, sort: TITLE) { totalCount } }',
  },
];

async function send(url: string, testCase: Case): Promise<{ status: number; body: string }> {
  const variables = JSON.parse(JSON.stringify(testCase.variables ?? {}).replace('"ISBN"', JSON.stringify(isbn))) as Record<string, unknown>;
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(testCase.signedIn ? { authorization: `Bearer ${token}` } : {}), ...testCase.headers },
    body: JSON.stringify({ query: testCase.query, variables, ...(testCase.operationName ? { operationName: testCase.operationName } : {}) }),
  });
  return { status: response.status, body: await response.text() };
}

async function answersByPath(routerUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(new URL('/metrics', routerUrl))).text();
  const counts: Record<string, number> = { pass_through: 0, gateway: 0 };
  for (const [, path, value] of text.matchAll(/^bazaar_router_answers_total\{path="(\w+)"[^}]*\} (\d+)/gm)) counts[path!] = Number(value);
  return counts;
}

describe('single-fetch pass-through', () => {
  it.each(CASES.map((testCase) => [testCase.name, testCase] as const))('%s: the same answer as the gateway shapes, by the expected path', async (_name, testCase) => {
    // Twice: the first request plans (always the gateway's path), the second may take the fast path.
    for (let round = 0; round < 2; round++) {
      const before = await answersByPath(stack.routerUrl);
      const [fast, shaped] = await Promise.all([send(stack.routerUrl, testCase), send(gatewayOnly.url, testCase)]);
      const after = await answersByPath(stack.routerUrl);
      expect(fast.status).toBe(shaped.status);
      expect(fast.body).toBe(shaped.body);
      expect(fast.body).not.toMatch(/INTERNAL_SERVER_ERROR/);
      if (round === 1) expect({ pass_through: after.pass_through! - before.pass_through!, gateway: after.gateway! - before.gateway! }).toEqual({ [testCase.path]: 1, [testCase.path === 'gateway' ? 'pass_through' : 'gateway']: 0 });
    }
  });

  it('a subgraph that cannot be reached gives the same error either way', async () => {
    const unreachable = { BOOKS_SUBGRAPH_URL: 'http://127.0.0.1:9/graphql' };
    const [fastRouter, shapedRouter] = await Promise.all([startRouterWith(unreachable), startRouterWith({ ...unreachable, SINGLE_FETCH_PASS_THROUGH: 'false' })]);
    const testCase: Case = { name: 'unreachable', path: 'gateway', query: '{ books(first: 1, sort: TITLE) { totalCount } }' };
    for (let round = 0; round < 2; round++) {
      const [fast, shaped] = await Promise.all([send(fastRouter.url, testCase), send(shapedRouter.url, testCase)]);
      expect(fast.status).toBe(shaped.status);
      expect(JSON.parse(fast.body)).toEqual(JSON.parse(shaped.body));
      expect(JSON.parse(fast.body).errors).toHaveLength(1);
    }
  });
});
