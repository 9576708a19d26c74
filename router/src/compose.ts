import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { readFileSync } from 'node:fs';
import { defaultSubgraphUrl, SUBGRAPHS, type SubgraphDefinition } from './subgraphs';

export interface CompositionResult {
  supergraphSdl: string;
  hints: string[];
}

export class CompositionError extends Error {}

/** Composes the subgraphs' SDL into the supergraph the router serves; any composition error fails it. */
export function composeSupergraph(subgraphs: readonly SubgraphDefinition[] = SUBGRAPHS): CompositionResult {
  const result = composeServices(
    subgraphs.map((definition) => ({
      name: definition.name,
      url: defaultSubgraphUrl(definition),
      typeDefs: parse(readFileSync(definition.schemaPath, 'utf8')),
    })),
  );
  if (result.errors) {
    throw new CompositionError(`Composition failed:\n${result.errors.map((error) => `  - ${error.message}`).join('\n')}`);
  }
  return { supergraphSdl: `${result.supergraphSdl.trimEnd()}\n`, hints: result.hints.map((hint) => hint.toString()) };
}
