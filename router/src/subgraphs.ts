/*
 * The subgraphs the router composes and calls come from the topology (supergraph.config.yaml at the
 * repository root, read by @bazaar/topology); re-exported here for the router's own modules.
 */
export {
  defaultSubgraphUrl,
  SUBGRAPHS,
  SUPERGRAPH_PATH,
  subgraphPortVariable,
  subgraphUrlVariable,
  type SubgraphDefinition,
} from '@bazaar/topology';
