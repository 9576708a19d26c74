import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Resolver types generated from a subgraph's own SDL, in federation mode, so resolvers are checked
 * against the schema instead of hand-written types. Paths are relative to `src/generated/`.
 */
export function subgraphCodegenConfig(options: { contextType: string; mappers?: Record<string, string> }): CodegenConfig {
  return {
    schema: 'src/schema.graphql',
    emitLegacyCommonJSImports: false,
    generates: {
      'src/generated/graphql.ts': {
        plugins: ['typescript', 'typescript-resolvers'],
        config: {
          federation: true,
          useIndexSignature: true,
          contextType: options.contextType,
          mappers: options.mappers ?? {},
          scalars: { DateTime: 'Date' },
          enumsAsTypes: true,
          useTypeImports: true,
          avoidOptionals: { field: true, inputValue: false, object: false, defaultValue: false },
          maybeValue: 'T | null',
          inputMaybeValue: 'T | null | undefined',
        },
      },
    },
  };
}
