import { subgraphCodegenConfig } from '@bazaar/service/codegen';

export default subgraphCodegenConfig({
  contextType: '../context#BooksContext',
  mappers: {
    Book: './prisma/client#Book as BookModel',
    Listing: './prisma/client#Listing as ListingModel',
    Author: './prisma/client#Author as AuthorModel',
    User: '../domain/types#UserReference',
    BookConnection: '../domain/types#BookConnectionModel',
    ListingConnection: '../domain/types#ListingConnectionModel',
  },
});
