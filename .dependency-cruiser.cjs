/**
 * The import boundaries of the monorepo (docs/architecture.md#boundaries), checked by
 * `npm run lint:boundaries` (part of `npm run lint`, so of `npm test`). Workspace imports
 * (`@bazaar/books`) are resolved through node_modules' symlinks to their real folders, so a rule on
 * `subgraphs/books/` catches them as well as relative paths.
 */
/** A workspace's folder: packages/<name>, subgraphs/<name>, examples/<name> or router. */
const WORKSPACE = '^((?:packages|subgraphs|examples)/[^/]+|router)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'subgraph-to-other-subgraph',
      comment: 'A subgraph never imports another one: it asks the graph, or keeps a projection fed by events (contracts in packages/contracts).',
      severity: 'error',
      from: { path: '^subgraphs/([^/]+)/' },
      to: { path: '^subgraphs/', pathNot: '^subgraphs/$1/' },
    },
    {
      name: 'kit-to-domain',
      comment: 'packages/ is the shared kit: it never imports a subgraph, the router or an example (the topology names them as data: supergraph.config.yaml).',
      severity: 'error',
      from: { path: '^packages/' },
      to: { path: '^(subgraphs|router|examples)/' },
    },
    {
      name: 'router-to-subgraph',
      comment: 'The router knows the subgraphs only through the composed supergraph and the topology.',
      severity: 'error',
      from: { path: '^router/' },
      to: { path: '^subgraphs/' },
    },
    {
      name: 'example-to-backend',
      comment: 'Examples are clients: they reach the backend only through the graph (their tests may use the test harness).',
      severity: 'error',
      from: { path: '^examples/' },
      to: { path: '^(subgraphs|router)/' },
    },
    {
      name: 'example-source-to-kit',
      comment: 'An example application uses the graph, never the backend kit.',
      severity: 'error',
      from: { path: '^examples/[^/]+/src/' },
      to: { path: '^packages/' },
    },
    {
      name: 'relative-path-into-another-workspace',
      comment: 'Import another workspace by its package name (declared in package.json), never by a relative path into its folder.',
      severity: 'error',
      from: { path: WORKSPACE },
      to: { path: WORKSPACE, pathNot: '^$1/', dependencyTypesNot: ['aliased-workspace'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['node_modules', '/generated/', '\\.data/', '/dist/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'],
    },
    combinedDependencies: true,
  },
};
