import type DataLoader from 'dataloader';
import type { RequestContext } from '@bazaar/service';
import type { Wishlists } from './domain/wishlists';

export interface WishlistContext extends RequestContext {
  wishlists: Wishlists;
  /** How many wishlists hold each book asked about in one request, in one query. */
  wishlistCountByBook: DataLoader<string, number>;
  /** Whether the viewer wishes for each book asked about in one request, in one query (false when anonymous). */
  inViewerWishlist: DataLoader<string, boolean>;
}
