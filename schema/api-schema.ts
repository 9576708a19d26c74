import { Supergraph } from '@apollo/federation-internals';
import { type DocumentNode, type GraphQLSchema, Kind, parse, type OperationDefinitionNode } from 'graphql';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The committed supergraph (with its join__/link__ machinery), as the router loads it. */
const SUPERGRAPH_FILE = fileURLToPath(new URL('./supergraph.graphql', import.meta.url));
/** The operations the web shop and the mobile app send, one `.graphql` file per operation. */
const OPERATIONS_DIR = fileURLToPath(new URL('./operations/', import.meta.url));

/**
 * The API schema of a supergraph: what clients see and introspect through the router, without the
 * join__/link__ types and directives (the same transformation `@apollo/gateway` applies).
 */
export function apiSchemaOf(supergraphSdl: string): GraphQLSchema {
  return Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();
}

export function committedApiSchema(): GraphQLSchema {
  return apiSchemaOf(readFileSync(SUPERGRAPH_FILE, 'utf8'));
}

export interface OperationFile {
  /** Path relative to schema/operations, e.g. `account/sign-up.graphql`. */
  file: string;
  source: string;
  document: DocumentNode;
  operations: OperationDefinitionNode[];
}

/** Every `.graphql` file under schema/operations, parsed (a syntax error throws, naming the file). */
export function loadOperationFiles(dir = OPERATIONS_DIR): OperationFile[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => {
      const path = join(dir, file);
      const source = readFileSync(path, 'utf8');
      let document: DocumentNode;
      try {
        document = parse(source);
      } catch (error) {
        throw new Error(`${relative(dir, path)}: ${(error as Error).message}`);
      }
      const operations = document.definitions.filter(
        (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
      );
      return { file: file.split('\\').join('/'), source, document, operations };
    });
}
