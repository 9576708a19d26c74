import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listBook, signUpAs, startTestStack, type TestStack } from '@bazaar/testing';
import { launchBrowser, screenshotIfAsked, type TestBrowser } from '@bazaar/testing/browser';

/** Waits on the page with a deadline generous enough for a busy machine (expect.poll's default is one second). */
const poll = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 60_000 });

describe('the explorer on the router (development)', () => {
  let stack: TestStack;
  let browser: TestBrowser;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startTestStack({ subgraphs: ['users', 'books', 'reviews', 'wishlist'] }), launchBrowser({ offline: true })]);
    const seller = await signUpAs(stack, ['BUYER', 'SELLER'], 'Explorer Seller');
    await listBook(seller.client, { title: 'Harry Potter and the Offline Explorer', authors: ['J. K. Rowling'] });
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('renders GraphiQL with no internet, from the router alone, and runs the saved storefront search', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(stack.routerUrl);

    await page.locator('.graphiql-container').waitFor();
    // The saved operations: the storefront search first, then LogIn and Me.
    await poll(() => page.locator('.graphiql-tab').allInnerTexts()).toEqual(expect.arrayContaining(['SearchBooks', 'LogIn', 'Me']));
    await poll(() => page.locator('.graphiql-query-editor').innerText()).toContain('query SearchBooks');
    // The header editor is open and prefilled for Authorization.
    await poll(() => page.locator('.graphiql-editor-tool').innerText()).toContain('Authorization');
    // The docs explorer has loaded the schema by introspection.
    await poll(() => page.locator('.graphiql-plugin').innerText()).toContain('query: Query');
    await expect(page.getByRole('link', { name: /Apollo Sandbox/ }).getAttribute('href')).resolves.toContain('studio.apollographql.com/sandbox');

    const answer = page.waitForResponse((response) => response.url() === stack.routerUrl && response.request().postData()?.includes('SearchBooks') === true);
    await page.locator('.graphiql-execute-button').click();
    const body = (await (await answer).json()) as { data: { books: { edges: { node: { title: string } }[] } } };
    expect(body.data.books.edges.map(({ node }) => node.title)).toEqual(['Harry Potter and the Offline Explorer']);
    await poll(() => page.locator('.result-window').innerText()).toContain('"totalCount": 1');
    await screenshotIfAsked(page, 'explorer');

    // Nothing left this machine: every request went to the router itself.
    const routerOrigin = new URL(stack.routerUrl).origin;
    const outside = context.requestedUrls.filter((url) => !url.startsWith(routerOrigin));
    console.log(`explorer offline: ${context.requestedUrls.length} requests, all to ${routerOrigin}; ${outside.length} elsewhere`);
    expect(outside).toEqual([]);
    await context.close();
  });

  it('still answers API clients on the same path: a GET with a query is GraphQL, not the page', async () => {
    const response = await fetch(`${stack.routerUrl}?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { accept: 'text/html, application/json', 'apollo-require-preflight': 'true' },
    });
    expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
  });
});
