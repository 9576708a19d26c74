import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';

export interface BazaarClientOptions {
  /** The router's GraphQL endpoint, e.g. http://localhost:4000/graphql. */
  uri: string;
  /** The current access token, read on every request; none means anonymous. */
  getAccessToken?: () => string | undefined;
  /** Sent as `apollographql-client-name` / `-version`, so the graph's operators can tell clients apart. */
  clientName?: string;
  clientVersion?: string;
}

/**
 * The normalised cache as the web shop and the app configure it: entities are keyed by `__typename`
 * and `id` (every entity in the graph has an `id: ID!`), value types (Session, Money, PageInfo…) live
 * inside their parent.
 */
export function createBazaarCache(): InMemoryCache {
  return new InMemoryCache({
    typePolicies: {
      Query: {
        fields: {
          // `user(id:)` for a user already in the cache (e.g. as `me`) is answered without a request.
          user: { read: (existing, { args, toReference }) => existing ?? toReference({ __typename: 'User', id: args?.id as string }) },
        },
      },
    },
  });
}

/** Apollo Client 4 against the router: bearer token from `getAccessToken`, JSON POSTs over fetch. */
export function createBazaarClient(options: BazaarClientOptions): ApolloClient {
  const auth = new SetContextLink((previous) => {
    const token = options.getAccessToken?.();
    return token ? { headers: { ...previous.headers, authorization: `Bearer ${token}` } } : {};
  });
  return new ApolloClient({
    link: ApolloLink.from([auth, new HttpLink({ uri: options.uri })]),
    cache: createBazaarCache(),
    clientAwareness: { name: options.clientName ?? 'example-client', version: options.clientVersion ?? '0.0.0' },
  });
}
