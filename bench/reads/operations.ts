/**
 * The storefront's hottest reads, as its clients send them (schema/operations, the client contract):
 * a search page, a book page, the cart and a plain list. Operations the books subgraph answers alone
 * are also sent to it directly.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@bazaar/topology';
import { DEMO_ACCOUNTS } from '@bazaar/demo';

export interface ReadOperation {
  name: string;
  body: string;
  /** Sent as `authorization` to every target (the cart is a signed-in shopper's). */
  authorization?: string;
  /** The subgraph that answers this operation alone, if one does. */
  subgraph?: string;
}

const operation = (...files: string[]) => files.map((file) => readFileSync(path.join(REPO_ROOT, 'schema/operations', file), 'utf8')).join('\n');

/** A plain list: one page of the catalog, every field from the books subgraph. */
const PLAIN_LIST = `query PlainList($first: Int) {
  books(first: $first, sort: TITLE) {
    pageInfo { hasNextPage endCursor }
    edges { node { id isbn13 title subtitle coverUrl authors { id name } lowestPrice { amount currency } inStock } }
  }
}`;

const body = (query: string, variables: Record<string, unknown>) => JSON.stringify({ query, variables });

/** The operations, with variables picked from the running stack's catalog (`routerUrl`). */
export async function readOperations(routerUrl: string): Promise<ReadOperation[]> {
  const buyer = DEMO_ACCOUNTS.find(({ roles }) => roles.length === 1 && roles[0] === 'BUYER')!;
  const login = await post<{ logIn: { session: { accessToken: string } } }>(
    routerUrl,
    body('mutation($input: LogInInput!) { logIn(input: $input) { session { accessToken } } }', { input: { email: buyer.email, password: buyer.password } }),
  );
  const { books } = await post<{ books: { edges: { node: { id: string; title: string; listings: { totalCount: number } } }[] } }>(
    routerUrl,
    body('{ books(first: 50, sort: TITLE) { edges { node { id title listings(first: 1) { totalCount } } } } }', {}),
  );
  // The book with the most offers: the fullest book page.
  const book = books.edges.map(({ node }) => node).sort((a, b) => b.listings.totalCount - a.listings.totalCount)[0]!;
  const word = book.title.split(/\s+/).find((candidate) => candidate.length > 3) ?? book.title;
  return [
    { name: 'search page', body: body(operation('storefront/search-books.graphql'), { filter: { query: word }, first: 20 }) },
    { name: 'browse page', body: body(operation('storefront/search-books.graphql'), { sort: 'TITLE', first: 20 }) },
    { name: 'book page', body: body(operation('book/book-page.graphql'), { id: book.id }) },
    { name: 'cart', body: body(operation('cart/my-cart.graphql', 'cart/cart-fields.graphql'), {}), authorization: `Bearer ${login.logIn.session.accessToken}` },
    { name: 'plain list', body: body(PLAIN_LIST, { first: 20 }), subgraph: 'books' },
  ];
}

async function post<Data>(url: string, requestBody: string): Promise<Data> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: requestBody });
  const answer = (await response.json()) as { data?: Data; errors?: unknown[] };
  if (!answer.data || answer.errors) throw new Error(`setup request failed: ${JSON.stringify(answer)}`);
  return answer.data;
}
