import type { CodegenConfig } from '@graphql-codegen/cli';
import { printSchema } from 'graphql';
import { committedApiSchema } from '../../schema/api-schema';

/**
 * Typed documents for every operation in schema/operations, generated against the API schema that
 * clients see through the router (not the raw supergraph). Output: src/generated/ (git-ignored),
 * produced by `npm run generate` (turbo runs it on install and before typecheck).
 */
const config: CodegenConfig = {
  schema: printSchema(committedApiSchema()),
  documents: '../../schema/operations/**/*.graphql',
  emitLegacyCommonJSImports: false,
  ignoreNoDocuments: false,
  generates: {
    'src/generated/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        scalars: { DateTime: 'string' },
        enumsAsTypes: true,
        useTypeImports: true,
        strictScalars: true,
        documentMode: 'documentNode',
      },
    },
  },
};

export default config;
