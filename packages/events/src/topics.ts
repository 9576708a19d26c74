/** The topics of the marketplace; the key of every message is its aggregate's id. */
export const TOPICS = {
  users: 'bazaar.users',
  catalog: 'bazaar.catalog',
  inventory: 'bazaar.inventory',
  orders: 'bazaar.orders',
  payments: 'bazaar.payments',
  reviews: 'bazaar.reviews',
  wishlist: 'bazaar.wishlist',
} as const;

export type Topic = (typeof TOPICS)[keyof typeof TOPICS];

export const ALL_TOPICS: readonly Topic[] = Object.values(TOPICS);
