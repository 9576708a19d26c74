import type { Connection } from '@bazaar/service';
import type { Book, Listing } from '../generated/prisma/client';

/**
 * A user as this subgraph knows one: by id only (the users subgraph resolves the rest).
 * @mapper
 */
export interface UserReference {
  __typename?: 'User';
  id: string;
}

interface FacetCountModel {
  value: string;
  count: number;
}

export interface BookFacetsModel {
  genres: FacetCountModel[];
  languages: FacetCountModel[];
  conditions: FacetCountModel[];
  price: { min: MoneyModel; max: MoneyModel } | null;
  /** False when the counts cover a sample of the matches (search.ts MATCH_LIMIT). */
  countsAreExact: boolean;
}

interface MoneyModel {
  amount: number;
  currency: string;
}

/** A page of search results; the count and facets are computed only when asked for. */
export interface BookConnectionModel extends Connection<Book> {
  totalCount(): Promise<number>;
  totalCountIsExact(): Promise<boolean>;
  facets(): Promise<BookFacetsModel>;
}

export interface ListingConnectionModel extends Connection<Listing> {
  totalCount(): Promise<number>;
}
