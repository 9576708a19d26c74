import { subgraphCodegenConfig } from '@bazaar/service/codegen';

export default subgraphCodegenConfig({
  contextType: '../context#CartContext',
  mappers: {
    Cart: '../domain/types#CartModel',
    CartItem: './prisma/client#CartItem as CartItemModel',
    CartProblem: '../domain/types#CartProblemModel',
    Listing: '../domain/types#ListingReference',
    User: '../domain/types#UserReference',
  },
});
