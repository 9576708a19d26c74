import { subgraphCodegenConfig } from '@bazaar/service/codegen';

export default subgraphCodegenConfig({
  contextType: '../context#ReviewsContext',
  mappers: {
    Review: './prisma/client#Review as ReviewModel',
    Book: '../domain/types#BookReference',
    User: '../domain/types#UserReference',
    ReviewConnection: '../domain/types#ReviewConnectionModel',
    SellerFeedback: './prisma/client#SellerFeedback as SellerFeedbackModel',
    SellerFeedbackConnection: '../domain/types#SellerFeedbackConnectionModel',
    SellerReputation: '../domain/types#SellerReputationReference',
  },
});
