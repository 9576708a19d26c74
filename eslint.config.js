import { readFileSync } from 'node:fs';
import { Supergraph } from '@apollo/federation-internals';
import js from '@eslint/js';
import graphqlPlugin from '@graphql-eslint/eslint-plugin';
import { printSchema } from 'graphql';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

/** The API schema clients see (the committed supergraph without join__/link__), for the operations' rules. */
const apiSchemaSdl = printSchema(
  Supergraph.build(readFileSync(new URL('./schema/supergraph.graphql', import.meta.url), 'utf8')).apiSchema().toGraphQLJSSchema(),
);

const CODE = ['**/*.{js,mjs,cjs,ts,mts,cts,tsx}'];
/**
 * @graphql-eslint keeps one graphql-config per process, whichever file it parses first, so every
 * GraphQL block passes this same one. Only the operations' rules use its schema; the SDL rules below
 * are chosen to need none (a subgraph's SDL is not a schema on its own without federation's directives).
 */
const graphQLConfig = { schema: apiSchemaSdl, documents: 'schema/operations/**/*.graphql' };
const graphql = { '@graphql-eslint': graphqlPlugin };

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/src/generated/**', '**/.data/**', '**/.build/**', 'coverage/**'] },
  {
    files: CODE,
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: { parserOptions: { ecmaVersion: 2023, sourceType: 'module' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': ['error', { allow: ['warn', 'error', 'log'] }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // Typed rules: a promise nobody awaits or handles loses its error (an unhandled rejection stops
    // a service); one passed where a callback's result is ignored (an event listener, a forEach)
    // too. They need the TypeScript program, so they run on TypeScript files only.
    files: ['**/*.{ts,mts,cts,tsx}'],
    languageOptions: { parserOptions: { project: ['./tsconfig.json', './examples/web-shop/tsconfig.json'], tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    // The web shop's components: hooks called in the same order on every render, effects with their dependencies.
    files: ['examples/web-shop/src/**/*.tsx', 'examples/web-shop/src/**/*.ts'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'error' },
  },
  {
    // Subgraph SDL: the conventions of docs/schema-conventions.md that need no composed schema.
    files: ['subgraphs/*/src/schema.graphql'],
    languageOptions: { parser: graphqlPlugin.parser, parserOptions: { graphQLConfig } },
    plugins: graphql,
    rules: {
      '@graphql-eslint/require-description': [
        'error',
        {
          types: true,
          FieldDefinition: true,
          EnumValueDefinition: true,
          InputValueDefinition: true,
          DirectiveDefinition: true,
          // Field arguments are recommended, not required, to have one (`input`, `id` say enough);
          // the root types are described by their fields.
          ignoredSelectors: ['FieldDefinition > InputValueDefinition', 'ObjectTypeDefinition[name.value=/^(Query|Mutation|Subscription)$/]'],
        },
      ],
      '@graphql-eslint/naming-convention': [
        'error',
        {
          types: { style: 'PascalCase', forbiddenPatterns: [/^(Type|Enum|Input|Interface|Union)/, /(Type|Enum|Interface|Union)$/] },
          FieldDefinition: 'camelCase',
          InputValueDefinition: 'camelCase',
          Argument: 'camelCase',
          DirectiveDefinition: 'camelCase',
          EnumValueDefinition: 'UPPER_CASE',
          // Mutation inputs end in Input, query filters in Filter.
          InputObjectTypeDefinition: { style: 'PascalCase', requiredPattern: /(Input|Filter)$/ },
          'FieldDefinition[parent.name.value=Query]': { forbiddenPatterns: [/^(get|query|fetch)[A-Z]/, /Query$/] },
          'FieldDefinition[parent.name.value=Mutation]': { forbiddenPatterns: [/^mutation/, /Mutation$/] },
        },
      ],
      '@graphql-eslint/no-typename-prefix': 'error',
      '@graphql-eslint/no-hashtag-description': 'error',
      '@graphql-eslint/require-deprecation-reason': 'error',
      '@graphql-eslint/unique-enum-value-names': 'error',
      '@graphql-eslint/unique-field-definition-names': 'error',
      '@graphql-eslint/unique-type-names': 'error',
      // Lists are Relay connections: `XConnection { edges, pageInfo }`, paginated with `first`/`after`.
      '@graphql-eslint/relay-connection-types': 'error',
      '@graphql-eslint/relay-arguments': ['error', { includeBoth: false }],
    },
  },
  {
    // Client operations: valid against the API schema, named, one per file, unique names.
    files: ['schema/operations/**/*.graphql'],
    languageOptions: {
      parser: graphqlPlugin.parser,
      parserOptions: { graphQLConfig },
    },
    plugins: graphql,
    rules: {
      ...graphqlPlugin.configs['flat/operations-recommended'].rules,
      '@graphql-eslint/lone-executable-definition': 'error',
      '@graphql-eslint/match-document-filename': ['error', { fileExtension: '.graphql', query: 'kebab-case', mutation: 'kebab-case' }],
    },
  },
);
