import type { Connection } from '@bazaar/service';
import type { Notification, WishlistItem } from '../generated/prisma/client';

/**
 * Entities other subgraphs resolve: the wishlist only knows their ids.
 * @mapper
 */
export interface BookReference {
  __typename?: 'Book';
  id: string;
}

/** @mapper */
export interface ListingReference {
  __typename?: 'Listing';
  id: string;
}

/** @mapper */
export interface UserReference {
  id: string;
}

/**
 * A user's wishlist; its items are paged on demand.
 * @mapper
 */
export interface WishlistModel {
  userId: string;
}

export type WishlistItemConnectionModel = Connection<WishlistItem> & { totalCount: number };
export type NotificationConnectionModel = Connection<Notification> & { totalCount: number; unreadCount: number };
