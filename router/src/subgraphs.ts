import { fileURLToPath } from 'node:url';

export interface SubgraphDefinition {
  /** The subgraph's name in the supergraph and the prefix of its variables (USERS_PORT, USERS_DATABASE_URL…). */
  name: string;
  defaultPort: number;
  /** The subgraph's SDL, read by composition. */
  schemaPath: string;
  /** The service's entry point, started as its own process by the dev stack. */
  mainPath: string;
  /** The composition root, whose `service` export the test harness starts in-process. */
  modulePath: string;
}

const repo = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

const subgraph = (name: string, defaultPort: number): SubgraphDefinition => ({
  name,
  defaultPort,
  schemaPath: repo(`subgraphs/${name}/src/schema.graphql`),
  mainPath: repo(`subgraphs/${name}/src/main.ts`),
  modulePath: repo(`subgraphs/${name}/src/index.ts`),
});

/** Every subgraph of the supergraph; adding a domain starts here. */
export const SUBGRAPHS: readonly SubgraphDefinition[] = [subgraph('users', 4001), subgraph('books', 4002), subgraph('reviews', 4003), subgraph('cart', 4004), subgraph('wishlist', 4005), subgraph('orders', 4006), subgraph('payments', 4007)];

export const SUPERGRAPH_PATH = repo('schema/supergraph.graphql');

/** The variable that overrides where the router reaches a subgraph, e.g. USERS_SUBGRAPH_URL. */
export const subgraphUrlVariable = (name: string) => `${name.toUpperCase()}_SUBGRAPH_URL`;
export const subgraphPortVariable = (name: string) => `${name.toUpperCase()}_PORT`;
export const defaultSubgraphUrl = (definition: SubgraphDefinition) =>
  `http://localhost:${definition.defaultPort}/graphql`;
