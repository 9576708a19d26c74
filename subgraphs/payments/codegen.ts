import { subgraphCodegenConfig } from '@bazaar/service/codegen';

export default subgraphCodegenConfig({
  contextType: '../context#PaymentsContext',
  mappers: {
    Payment: './prisma/client#Payment as PaymentModel',
    PaymentTransaction: './prisma/client#PaymentTransaction as PaymentTransactionModel',
    Order: '../domain/types#OrderReference',
  },
});
