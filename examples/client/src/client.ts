import { ApolloClient, ApolloLink, type FieldMergeFunction, HttpLink, InMemoryCache, type Reference } from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';
import { relayStylePagination } from '@apollo/client/utilities';

export interface BazaarClientOptions {
  /** The router's GraphQL endpoint, e.g. http://localhost:4000/graphql. */
  uri: string;
  /**
   * The current access token, read on every request; none means anonymous. It may be a promise, so that
   * a client can refresh an access token about to expire before the request goes out (the web shop does).
   */
  getAccessToken?: () => string | undefined | Promise<string | undefined>;
  /** Sent as `apollographql-client-name` / `-version`, so the graph's operators can tell clients apart. */
  clientName?: string;
  clientVersion?: string;
}

/**
 * The normalised cache as the web shop and the app configure it: entities are keyed by `__typename`
 * and `id` (every entity in the graph has an `id: ID!`), value types (Session, Money, PageInfo…) live
 * inside their parent. Connections are merged page by page with `relayStylePagination()`: `fetchMore`
 * with `after: pageInfo.endCursor` appends the next page to the cached list, and a page fetched with
 * other key arguments (another filter or sort) is a separate list. A query without `after` replaces
 * the list (e.g. a refetch after a mutation).
 *
 * A cart mutation's result updates the cached `me { cart }` by itself (the cart is keyed by its `id`);
 * after `mergeGuestCart` the user's cart is another object than the guest's, so refetch `MyCart` then.
 * `OrderLine` and `Fulfilment` have no `id` either: they live inside their `Order`. Different screens
 * select different fields of them (MyOrders a line's book, OrderTracking its seller and prices), so
 * `mergeByPosition` merges a fetched list into the cached one line by line instead of replacing it,
 * which would drop the fields the other screen needs and send it back to the network.
 */
/**
 * Merges a list of id-less objects into the cached one position by position, when both have the same
 * length (an order's lines keep their order; its fulfilments are one per seller, in a stable order).
 * A list of another length replaces the cached one.
 */
const mergeByPosition: FieldMergeFunction<unknown[], unknown[]> = (existing, incoming, { mergeObjects }) =>
  existing?.length === incoming.length
    ? incoming.map((item, index) => mergeObjects(existing[index] as Reference, item as Reference))
    : incoming;

export function createBazaarCache(): InMemoryCache {
  return new InMemoryCache({
    typePolicies: {
      Query: {
        fields: {
          // `user(id:)` for a user already in the cache (e.g. as `me`) is answered without a request.
          user: { read: (existing, { args, toReference }) => existing ?? toReference({ __typename: 'User', id: args?.id as string }) },
          // Search results: one list per filter and sort; `first` and `after` only page through it.
          books: relayStylePagination(['filter', 'sort']),
          // The seller dashboard's orders: one list per status filter.
          sellerOrders: relayStylePagination(['status']),
        },
      },
      Book: {
        fields: {
          listings: relayStylePagination(['condition', 'sort']),
          reviews: relayStylePagination(['sort']),
        },
      },
      Order: {
        fields: {
          lines: { merge: mergeByPosition },
          fulfilments: { merge: mergeByPosition },
        },
      },
      User: {
        fields: {
          listings: relayStylePagination(),
          // A buyer's orders: one list per status filter.
          orders: relayStylePagination(['status']),
        },
      },
    },
  });
}

/** Apollo Client 4 against the router: bearer token from `getAccessToken`, JSON POSTs over fetch. */
export function createBazaarClient(options: BazaarClientOptions): ApolloClient {
  const auth = new SetContextLink(async (previous) => {
    const token = await options.getAccessToken?.();
    return token ? { headers: { ...previous.headers, authorization: `Bearer ${token}` } } : {};
  });
  return new ApolloClient({
    link: ApolloLink.from([auth, new HttpLink({ uri: options.uri })]),
    cache: createBazaarCache(),
    clientAwareness: { name: options.clientName ?? 'example-client', version: options.clientVersion ?? '0.0.0' },
  });
}
