import { DateTime, requestedFields, requireViewer, viewerOrNull } from '@bazaar/service';
import { CATALOG_CURRENCY } from '../domain/rules';
import type { Resolvers } from '../generated/graphql';

export const resolvers: Resolvers = {
  DateTime,
  Query: {
    book: (_root, { id }, { booksById }) => booksById.load(id),
    bookByIsbn: (_root, { isbn }, { catalog }) => catalog.findByIsbn(isbn),
    books: (_root, args, { catalog, booksById }, info) => {
      const asked = requestedFields(info);
      return catalog.search(args, (ids) => booksById.loadMany(ids).then(okOrNull), {
        count: asked.has('totalCount') || asked.has('totalCountIsExact'),
        facets: asked.has('facets'),
      });
    },
    listing: (_root, { id }, { listingsById }) => listingsById.load(id),
  },
  Mutation: {
    createBook: async (_root, { input }, { auth, catalog }) => ({ book: await catalog.createBook(requireViewer(auth), input) }),
    updateBook: async (_root, { input }, { auth, catalog }) => ({ book: await catalog.updateBook(requireViewer(auth), input) }),
    createListing: async (_root, { input }, { auth, listings }) => ({ listing: await listings.createListing(auth, input) }),
    updateListing: async (_root, { input }, { auth, listings }) => ({
      listing: await listings.updateListing(requireViewer(auth), input),
    }),
    pauseListing: async (_root, { id }, { auth, listings }) => ({ listing: await listings.pauseListing(requireViewer(auth), id) }),
    resumeListing: async (_root, { id }, { auth, listings }) => ({ listing: await listings.resumeListing(requireViewer(auth), id) }),
    removeListing: async (_root, { id }, { auth, listings }) => ({ listing: await listings.removeListing(requireViewer(auth), id) }),
    restockListing: async (_root, { input }, { auth, listings }) => ({
      listing: await listings.restockListing(requireViewer(auth), input),
    }),
  },
  Book: {
    __resolveReference: (reference, { booksById }) => booksById.load(reference.id),
    authors: (book, _args, { authorsByBookId }) => authorsByBookId.load(book.id),
    lowestPrice: (book) => (book.lowestPriceAmount === null ? null : { amount: book.lowestPriceAmount, currency: CATALOG_CURRENCY }),
    listings: (book, args, { listingPages }) => listingPages.ofBook(book.id, args),
  },
  Listing: {
    __resolveReference: (reference, { listingsById }) => listingsById.load(reference.id),
    book: async (listing, _args, { booksById }) => (await booksById.load(listing.bookId))!,
    seller: (listing) => ({ __typename: 'User', id: listing.sellerId }),
    price: (listing) => ({ amount: listing.priceAmount, currency: listing.currency }),
    reservedQuantity: (listing) => listing.reserved,
    sellerRating: (listing) => ({ __typename: 'SellerReputation', sellerId: listing.sellerId }),
  },
  User: {
    __resolveReference: (reference) => ({ id: reference.id }),
    listings: (user, args, { auth, listingPages }) => listingPages.ofSeller(viewerOrNull(auth), user.id, args),
  },
  BookConnection: {
    totalCount: (connection) => connection.totalCount(),
    totalCountIsExact: (connection) => connection.totalCountIsExact(),
    facets: (connection) => connection.facets(),
  },
  ListingConnection: {
    totalCount: (connection) => connection.totalCount(),
  },
};

/** DataLoader.loadMany gives an Error for a failed key; a page treats it as missing. */
const okOrNull = <T>(values: (T | Error)[]): (T | null)[] => values.map((value) => (value instanceof Error ? null : value));
