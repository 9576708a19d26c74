import type { CartItem } from '../generated/prisma/client';

/** A cart as resolvers see it: its lines, loaded once. A user without a cart row has an empty one. */
export interface CartModel {
  /** The cart row; null for a user who never added anything. */
  id: string | null;
  /** The user whose cart it is; null for a guest cart. */
  ownerId: string | null;
  updatedAt: Date | null;
  items: CartItem[];
}

type CartProblemKind = 'LISTING_REMOVED' | 'LISTING_UNAVAILABLE' | 'INSUFFICIENT_STOCK' | 'PRICE_CHANGED';

export interface MoneyValue {
  amount: number;
  currency: string;
}

export interface CartProblemModel {
  kind: CartProblemKind;
  message: string;
  item: CartItem;
  availableQuantity: number | null;
  previousPrice: MoneyValue | null;
  currentPrice: MoneyValue | null;
}

/**
 * Entities other subgraphs resolve: the cart only knows their ids.
 * @mapper
 */
export interface ListingReference {
  __typename?: 'Listing';
  id: string;
}

/** @mapper */
export interface UserReference {
  id: string;
}
