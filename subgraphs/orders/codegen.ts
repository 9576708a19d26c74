import { subgraphCodegenConfig } from '@bazaar/service/codegen';

export default subgraphCodegenConfig({
  contextType: '../context#OrdersContext',
  mappers: {
    Order: '../domain/types#OrderModel',
    OrderStatusChange: './prisma/client#OrderStatusChange as OrderStatusChangeModel',
    Fulfilment: './prisma/client#Fulfilment as FulfilmentModel',
    OrderLine: './prisma/client#OrderLine as OrderLineModel',
    StockRejection: '../domain/types#StockRejectionModel',
    Listing: '../domain/types#EntityReference',
    Book: '../domain/types#EntityReference',
    User: '../domain/types#EntityReference',
  },
});
