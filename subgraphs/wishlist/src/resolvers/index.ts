import { DateTime, requireViewer, viewerOrNull } from '@bazaar/service';
import type { Resolvers } from '../generated/graphql';

const money = (amount: number | null, currency: string | null) => (amount === null || currency === null ? null : { amount, currency });

export const resolvers: Resolvers = {
  DateTime,
  Mutation: {
    addToWishlist: async (_root, { input }, { auth, wishlists }) => ({ item: await wishlists.add(requireViewer(auth), input) }),
    updateWishlistItem: async (_root, { input }, { auth, wishlists }) => ({ item: await wishlists.update(requireViewer(auth), input) }),
    removeFromWishlist: async (_root, { bookId }, { auth, wishlists }) => {
      const viewer = requireViewer(auth);
      return { removed: await wishlists.remove(viewer, bookId), wishlist: { userId: viewer.id } };
    },
    markNotificationRead: async (_root, { id }, { auth, wishlists }) => ({ notification: await wishlists.markRead(requireViewer(auth), id) }),
  },
  User: {
    // Only the user themself reads their wishlist and notifications; for anyone else they are null.
    wishlist: (user, _args, { auth }) => (viewerOrNull(auth)?.id === user.id ? { userId: user.id } : null),
    notifications: (user, args, { auth, wishlists }) => (viewerOrNull(auth)?.id === user.id ? wishlists.notifications(user.id, args) : null),
  },
  Wishlist: {
    items: (wishlist, args, { wishlists }) => wishlists.items(wishlist.userId, args),
  },
  WishlistItem: {
    book: (item) => ({ __typename: 'Book', id: item.bookId }),
    targetPrice: (item) => money(item.targetAmount, item.targetCurrency),
  },
  Notification: {
    kind: () => 'PRICE_ALERT',
    book: (notification) => ({ __typename: 'Book', id: notification.bookId }),
    listing: (notification) => (notification.listingId ? { __typename: 'Listing', id: notification.listingId } : null),
    price: (notification) => money(notification.priceAmount, notification.currency),
    targetPrice: (notification) => money(notification.targetAmount, notification.targetCurrency),
  },
  Book: {
    __resolveReference: (reference) => ({ id: reference.id }),
    inMyWishlist: (book, _args, { inViewerWishlist }) => inViewerWishlist.load(book.id),
    wishlistCount: (book, _args, { wishlistCountByBook }) => wishlistCountByBook.load(book.id),
  },
};
