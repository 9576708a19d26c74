import { useSyncExternalStore } from 'react';

/**
 * Hash routes (`#/book/<id>`), so the shop is static files that any server can host without
 * rewriting paths to index.html.
 */
export type Route =
  | { page: 'storefront'; query: string }
  | { page: 'book'; id: string }
  | { page: 'cart' }
  | { page: 'checkout' }
  | { page: 'orders' }
  | { page: 'order'; id: string }
  | { page: 'wishlist' }
  | { page: 'account' }
  | { page: 'seller' };

function parseRoute(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  switch (parts[0]) {
    case 'book':
      return parts[1] ? { page: 'book', id: parts[1] } : { page: 'storefront', query: '' };
    case 'order':
      return parts[1] ? { page: 'order', id: parts[1] } : { page: 'orders' };
    case 'cart':
    case 'checkout':
    case 'orders':
    case 'wishlist':
    case 'account':
    case 'seller':
      return { page: parts[0] };
    default:
      return { page: 'storefront', query: new URLSearchParams(search).get('q') ?? '' };
  }
}

export const href = {
  storefront: (query = '') => (query ? `#/?q=${encodeURIComponent(query)}` : '#/'),
  book: (id: string) => `#/book/${encodeURIComponent(id)}`,
  order: (id: string) => `#/order/${encodeURIComponent(id)}`,
  page: (page: 'cart' | 'checkout' | 'orders' | 'wishlist' | 'account' | 'seller') => `#/${page}`,
};

export const navigate = (to: string) => {
  window.location.hash = to.replace(/^#/, '');
};

const subscribe = (listener: () => void) => {
  window.addEventListener('hashchange', listener);
  return () => window.removeEventListener('hashchange', listener);
};

export const useRoute = (): Route => parseRoute(useSyncExternalStore(subscribe, () => window.location.hash));
