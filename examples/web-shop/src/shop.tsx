import { useApolloClient, useMutation, useQuery } from '@apollo/client/react';
import {
  AddToCartDocument,
  type CartFieldsFragment,
  CreateGuestCartDocument,
  GuestCartDocument,
  LogOutDocument,
  MergeGuestCartDocument,
  MyCartDocument,
} from '@bazaar/example-client';
import { createContext, useContext } from 'react';
import { type SessionStore, type SignedInUser, useSession } from './session';

export const StoreContext = createContext<SessionStore | null>(null);

export function useStore(): SessionStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error('The shop is rendered without its session store');
  return store;
}

/** The signed-in user (or null), and how to sign in and out; signing in merges the guest cart. */
export function useAccount() {
  const store = useStore();
  const client = useApolloClient();
  const { user, session } = useSession(store);
  const [merge] = useMutation(MergeGuestCartDocument);
  const [logOut] = useMutation(LogOutDocument);

  const signedIn = async (signedInUser: SignedInUser, tokens: { accessToken: string; accessTokenExpiresAt: string; refreshToken: string }) => {
    store.signIn(signedInUser, tokens);
    const guestCartToken = store.guestCart();
    if (guestCartToken) {
      // The guest's items join the account's cart; the guest token stops working afterwards. If the
      // merge fails the token is kept, so the next sign-in on this device tries again.
      const merged = await merge({ variables: { input: { guestCartToken } } }).catch(() => null);
      if (merged?.data) store.setGuestCart(null);
    }
    await client.resetStore();
  };

  const signOut = async () => {
    if (session) await logOut({ variables: { refreshToken: session.refreshToken } }).catch(() => undefined);
    store.signOut();
    await client.clearStore();
  };

  return { user, signedIn, signOut, isSeller: user?.roles.includes('SELLER') ?? false };
}

/** The visitor's cart: the account's when signed in, else the guest cart kept on this device. */
export function useCart(): { cart: CartFieldsFragment | null; loading: boolean; addToCart(listingId: string, quantity: number): Promise<void> } {
  const store = useStore();
  const { user, guestCartToken } = useSession(store);
  const mine = useQuery(MyCartDocument, { skip: !user });
  const guest = useQuery(GuestCartDocument, { skip: Boolean(user) || !guestCartToken, variables: { token: guestCartToken ?? '' } });
  const [createGuestCart] = useMutation(CreateGuestCartDocument);
  const [add] = useMutation(AddToCartDocument);

  const addToCart = async (listingId: string, quantity: number) => {
    let token = user ? undefined : guestCartToken;
    if (!user && !token) {
      const created = await createGuestCart();
      token = created.data?.createGuestCart.guestCartToken;
      if (!token) throw new Error('Could not start a cart');
      store.setGuestCart(token);
    }
    await add({ variables: { input: { listingId, quantity, ...(token ? { guestCartToken: token } : {}) } } });
    await (user ? mine.refetch() : guest.refetch({ token: token ?? '' }));
  };

  const cart = user ? (mine.data?.me?.cart ?? null) : guestCartToken ? (guest.data?.guestCart ?? null) : null;
  return { cart, loading: mine.loading || guest.loading, addToCart };
}
