import { RefreshSessionDocument } from '@bazaar/example-client';
import { print } from 'graphql';
import { useSyncExternalStore } from 'react';

export interface SignedInUser {
  id: string;
  displayName: string;
  email: string | null;
  roles: string[];
}

export interface Session {
  user: SignedInUser;
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshToken: string;
}

const SESSION_KEY = 'bazaar.session';
const GUEST_CART_KEY = 'bazaar.guestCartToken';
/** Refresh this long before the access token expires, so no request goes out with a dying token. */
const REFRESH_MARGIN_MS = 30_000;

const read = <T>(key: string): T | null => {
  const raw = localStorage.getItem(key);
  return raw ? (JSON.parse(raw) as T) : null;
};
const write = (key: string, value: unknown) => (value === null ? localStorage.removeItem(key) : localStorage.setItem(key, JSON.stringify(value)));

/**
 * Who is signed in, kept in localStorage so a reload keeps the session, and the guest cart's token for
 * visitors who have not signed in. Lives outside React so Apollo Client's auth link can read it.
 */
export class SessionStore {
  private session = read<Session>(SESSION_KEY);
  private guestCartToken = read<string>(GUEST_CART_KEY);
  private listeners = new Set<() => void>();
  private refreshing: Promise<string | undefined> | undefined;

  constructor(private readonly routerUrl: string) {}

  subscribe = (listener: () => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  current = () => this.session;
  guestCart = () => this.guestCartToken;

  signIn(user: SignedInUser, tokens: Omit<Session, 'user'>) {
    this.update({ user, ...tokens });
  }

  signOut() {
    this.update(null);
  }

  setGuestCart(token: string | null) {
    this.guestCartToken = token;
    write(GUEST_CART_KEY, token);
    this.notify();
  }

  /** A new token now, e.g. after `becomeSeller`: roles travel in the token, so the old one lacks the new role. */
  refreshNow = async (): Promise<void> => {
    if (this.session) await this.refresh(this.session);
  };

  /** The access token for the next request, refreshed first when it is about to expire (one refresh at a time). */
  accessToken = async (): Promise<string | undefined> => {
    const session = this.session;
    if (!session) return undefined;
    if (Date.parse(session.accessTokenExpiresAt) - Date.now() > REFRESH_MARGIN_MS) return session.accessToken;
    this.refreshing ??= this.refresh(session).finally(() => (this.refreshing = undefined));
    return this.refreshing;
  };

  private async refresh(session: Session): Promise<string | undefined> {
    const response = await fetch(this.routerUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: print(RefreshSessionDocument), variables: { refreshToken: session.refreshToken } }),
    });
    const body = (await response.json()) as { data?: { refreshSession: { user: { roles: string[] }; session: Omit<Session, 'user'> } } };
    const refreshed = body.data?.refreshSession;
    if (!refreshed) {
      // The refresh token was revoked or expired: the visitor is signed out and sees the shop as a guest.
      this.signOut();
      return undefined;
    }
    this.update({ ...refreshed.session, user: { ...session.user, roles: refreshed.user.roles } });
    return refreshed.session.accessToken;
  }

  private update(session: Session | null) {
    this.session = session;
    write(SESSION_KEY, session);
    this.notify();
  }

  private notify() {
    for (const listener of this.listeners) listener();
  }
}

export function useSession(store: SessionStore) {
  const session = useSyncExternalStore(store.subscribe, store.current);
  const guestCartToken = useSyncExternalStore(store.subscribe, store.guestCart);
  return { session, user: session?.user ?? null, guestCartToken };
}
