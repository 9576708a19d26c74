import { readFileSync, writeFileSync } from 'node:fs';
import { CompositionError, composeSupergraph } from './compose';
import { SUPERGRAPH_PATH } from './subgraphs';

/** `npm run compose` rewrites schema/supergraph.graphql; `-- --check` only verifies it is current. */
try {
  const { supergraphSdl, hints } = composeSupergraph();
  for (const hint of hints) console.warn(`hint: ${hint}`);
  if (process.argv.includes('--check')) {
    if (readFileSync(SUPERGRAPH_PATH, 'utf8') !== supergraphSdl) {
      console.error('schema/supergraph.graphql is stale: run `npm run compose` and commit the result.');
      process.exit(1);
    }
    console.log('schema/supergraph.graphql is current.');
  } else {
    writeFileSync(SUPERGRAPH_PATH, supergraphSdl);
    console.log(`Wrote ${SUPERGRAPH_PATH}`);
  }
} catch (error) {
  console.error(error instanceof CompositionError ? error.message : error);
  process.exit(1);
}
