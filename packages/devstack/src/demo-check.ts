import { DEMO_BUYER as BUYER } from '@bazaar/demo';

interface Shelf {
  me: { cart: { itemCount: number } | null; wishlist: { items: { totalCount: number } } | null } | null;
  books: { edges: { node: { ratingCount: number } }[] } | null;
}

/**
 * On a first start, waits until the demo buyer sees a filled cart and wishlist and the catalog's
 * first books show their demo reviews (each service fills its own once the catalog's events reach
 * it), through the router as a user trying the README would; false if still empty after `timeoutMs`.
 */
export async function waitForDemoShopper(routerUrl: string, signal?: AbortSignal, timeoutMs = 120_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const post = async <Data>(query: string, variables: Record<string, unknown>, token?: string): Promise<Data | undefined> => {
    const response = await fetch(routerUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return ((await response.json()) as { data?: Data }).data;
  };
  const session = await post<{ logIn: { session: { accessToken: string } } }>(
    `mutation($input: LogInInput!) { logIn(input: $input) { session { accessToken } } }`,
    { input: { email: BUYER.email, password: BUYER.password } },
  );
  const token = session?.logIn.session.accessToken;
  if (!token) return false;
  while (Date.now() < deadline) {
    signal?.throwIfAborted();
    const shelf = await post<Shelf>(
      `{ me { cart { itemCount } wishlist { items(first: 1) { totalCount } } } books(first: 20) { edges { node { ratingCount } } } }`,
      {},
      token,
    ).catch(() => undefined);
    const reviewed = shelf?.books?.edges.some(({ node }) => node.ratingCount > 0) ?? false;
    if ((shelf?.me?.cart?.itemCount ?? 0) > 0 && (shelf?.me?.wishlist?.items.totalCount ?? 0) > 0 && reviewed) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}
