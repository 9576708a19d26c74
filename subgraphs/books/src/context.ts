import type DataLoader from 'dataloader';
import type { RequestContext } from '@bazaar/service';
import type { Catalog } from './domain/catalog';
import type { Listings } from './domain/listings';
import type { ListingPages } from './domain/listing-pages';
import type { Author, Book, Listing } from './generated/prisma/client';

export interface BooksContext extends RequestContext {
  catalog: Catalog;
  listings: Listings;
  /** Book.listings and User.listings of one request, batched over their parents. */
  listingPages: ListingPages;
  /** Every book looked up while resolving one request, in one query. */
  booksById: DataLoader<string, Book | null>;
  /** Every listing looked up while resolving one request, in one query. */
  listingsById: DataLoader<string, Listing | null>;
  /** The authors of every book of one request, in one query. */
  authorsByBookId: DataLoader<string, Author[]>;
}
