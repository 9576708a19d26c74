import { DateTime, viewerOrNull } from '@bazaar/service';
import { acceptedPrice, availableQuantity, currentPrice, lineTotal, problemsOf, subtotalOf } from '../domain/rules';
import type { CartModel } from '../domain/types';
import { cartCacheId } from '../domain/carts';
import type { Resolvers } from '../generated/graphql';
import type { CartContext } from '../context';
import type { ListingProjection } from '../generated/prisma/client';

/** The projection rows of a cart's lines, through the request's loader (one query per request). */
async function listingsOf(cart: CartModel, { listingsById }: CartContext): Promise<Map<string, ListingProjection>> {
  const rows = await listingsById.loadMany(cart.items.map(({ listingId }) => listingId));
  return new Map(rows.flatMap((row) => (row && !(row instanceof Error) ? [[row.id, row] as const] : [])));
}

export const resolvers: Resolvers = {
  DateTime,
  Query: {
    guestCart: (_root, { token }, { carts }) => carts.guestCart(token),
  },
  Mutation: {
    createGuestCart: (_root, _args, { carts, clientAddress }) => carts.createGuestCart(clientAddress),
    addToCart: async (_root, { input }, { auth, carts }) => ({ cart: await carts.add(auth, input) }),
    updateCartItem: async (_root, { input }, { auth, carts }) => ({ cart: await carts.update(auth, input) }),
    removeFromCart: async (_root, { input }, { auth, carts }) => ({ cart: await carts.remove(auth, input) }),
    clearCart: async (_root, { input }, { auth, carts }) => ({ cart: await carts.clear(auth, input) }),
    mergeGuestCart: async (_root, { input }, { auth, carts }) => ({ cart: await carts.merge(auth, input) }),
  },
  User: {
    // Only the user themself reads their cart; for anyone else (admins included) it is null.
    cart: (user, _args, { auth, carts }) => (viewerOrNull(auth)?.id === user.id ? carts.ofUser(user.id) : null),
  },
  Cart: {
    id: (cart) => cartCacheId(cart),
    items: (cart) => cart.items,
    itemCount: (cart) => cart.items.reduce((sum, item) => sum + item.quantity, 0),
    updatedAt: (cart) => cart.updatedAt,
    subtotal: async (cart, _args, context) => subtotalOf(cart.items, await listingsOf(cart, context)),
    problems: async (cart, _args, context) => {
      const listings = await listingsOf(cart, context);
      return cart.items.flatMap((item) => problemsOf(item, listings.get(item.listingId)));
    },
  },
  CartItem: {
    listing: (item) => ({ __typename: 'Listing', id: item.listingId }),
    addedAt: (item) => item.addedAt,
    acceptedUnitPrice: (item) => acceptedPrice(item),
    unitPrice: async (item, _args, { listingsById }) => currentPrice(item, await listingsById.load(item.listingId)),
    lineTotal: async (item, _args, { listingsById }) => lineTotal(item, await listingsById.load(item.listingId)),
    availableQuantity: async (item, _args, { listingsById }) => availableQuantity(await listingsById.load(item.listingId)),
  },
};
