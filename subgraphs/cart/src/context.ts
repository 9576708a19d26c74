import type DataLoader from 'dataloader';
import type { RequestContext } from '@bazaar/service';
import type { Carts } from './domain/carts';
import type { ListingProjection } from './generated/prisma/client';

export interface CartContext extends RequestContext {
  carts: Carts;
  /** Every listing the cart's projection is asked about while resolving one request, in one query. */
  listingsById: DataLoader<string, ListingProjection | null>;
}
