import type { Notification, WishlistItem } from '../generated/prisma/client';

/** Entities other subgraphs resolve: the wishlist only knows their ids. */
export interface BookReference {
  __typename?: 'Book';
  id: string;
}

export interface ListingReference {
  __typename?: 'Listing';
  id: string;
}

export interface UserReference {
  id: string;
}

/** A user's wishlist; its items are paged on demand. */
export interface WishlistModel {
  userId: string;
}

export interface PageInfoModel {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export interface Connection<Node> {
  edges: { cursor: string; node: Node }[];
  pageInfo: PageInfoModel;
  totalCount: number;
}

export type WishlistItemConnectionModel = Connection<WishlistItem>;
export type NotificationConnectionModel = Connection<Notification> & { unreadCount: number };
