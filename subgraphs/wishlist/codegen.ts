import { subgraphCodegenConfig } from '@bazaar/service/codegen';

export default subgraphCodegenConfig({
  contextType: '../context#WishlistContext',
  mappers: {
    Book: '../domain/types#BookReference',
    Listing: '../domain/types#ListingReference',
    User: '../domain/types#UserReference',
    Wishlist: '../domain/types#WishlistModel',
    WishlistItem: './prisma/client#WishlistItem as WishlistItemModel',
    Notification: './prisma/client#Notification as NotificationModel',
    WishlistItemConnection: '../domain/types#WishlistItemConnectionModel',
    NotificationConnection: '../domain/types#NotificationConnectionModel',
  },
});
