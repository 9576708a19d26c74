import { subgraphCodegenConfig } from '@bazaar/service/codegen';

export default subgraphCodegenConfig({
  contextType: '../context#PaymentsContext',
  mappers: {
    Payment: './prisma/client#Payment as PaymentModel',
    PaymentTransaction: './prisma/client#PaymentTransaction as PaymentTransactionModel',
    Payout: './prisma/client#Payout as PayoutModel',
    LedgerEntry: '../domain/statements#StatementEntry',
    Order: '../domain/types#OrderReference',
    User: '../domain/types#UserReference',
  },
});
