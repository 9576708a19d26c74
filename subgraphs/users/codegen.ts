import { subgraphCodegenConfig } from '@bazaar/service/codegen';

export default subgraphCodegenConfig({
  contextType: '../context#UsersContext',
  mappers: { User: './prisma/client#User as UserModel' },
});
