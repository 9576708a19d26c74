/**
 * The supergraph's topology, read once from `supergraph.config.yaml` at the repository root: the
 * one place that names the subgraphs, their ports, files and variables, and what each consumes.
 * Everything that needs the list (router, launcher, test harness, event transport, compose check)
 * reads it from here, so the kit never has to import the router or a subgraph to learn it.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';

const TOPOLOGY_FILE = 'supergraph.config.yaml';

/**
 * The nearest folder above this module that holds the topology file: the repository in development,
 * the runtime folder in an image, where this module is bundled into entry points at other depths.
 */
function findRoot(from: string): string {
  for (let folder = from; ; folder = path.dirname(folder)) {
    if (existsSync(path.join(folder, TOPOLOGY_FILE))) return folder;
    if (path.dirname(folder) === folder) throw new Error(`no ${TOPOLOGY_FILE} in ${from} or any folder above it`);
  }
}

export const REPO_ROOT = findRoot(path.dirname(fileURLToPath(import.meta.url)));
export const TOPOLOGY_PATH = path.join(REPO_ROOT, TOPOLOGY_FILE);

const relativePath = z.string().min(1).refine((value) => !path.isAbsolute(value), 'must be relative to the repository root');
const variablePattern = z.string().regex(/^[A-Z0-9_]*\{NAME\}[A-Z0-9_]*$/, 'must contain {NAME}');
const topic = z.string().regex(/^[a-z0-9.-]+$/);

const topologySchema = z.strictObject({
  variables: z.strictObject({ port: variablePattern, url: variablePattern, database: variablePattern }),
  layout: z.strictObject({ schema: relativePath, main: relativePath, module: relativePath, prismaSchema: relativePath, migrations: relativePath }),
  router: z.strictObject({
    port: z.number().int().min(1).max(65_535),
    portVariable: z.string().regex(/^[A-Z0-9_]+$/),
    main: relativePath,
    module: relativePath,
    supergraph: relativePath,
  }),
  subgraphs: z.record(
    z.string().regex(/^[a-z][a-z0-9]*$/, 'a subgraph name is lower-case letters and digits (it prefixes variables and names databases)'),
    z.strictObject({ port: z.number().int().min(1).max(65_535), path: relativePath, consumes: z.array(topic) }),
  ),
});

export type Topology = z.infer<typeof topologySchema>;

/** Parses a topology document, failing with every problem at once. */
export function parseTopology(text: string, source = TOPOLOGY_PATH): Topology {
  const parsed = topologySchema.safeParse(parse(text));
  if (!parsed.success) throw new Error(`${source} is invalid:\n${z.prettifyError(parsed.error)}`);
  const ports = [parsed.data.router.port, ...Object.values(parsed.data.subgraphs).map(({ port }) => port)];
  if (new Set(ports).size !== ports.length) throw new Error(`${source} is invalid: two services share a port (${ports.join(', ')})`);
  return parsed.data;
}

export const TOPOLOGY: Topology = parseTopology(readFileSync(TOPOLOGY_PATH, 'utf8'));

const fromRepo = (relative: string) => path.join(REPO_ROOT, relative);
const variable = (pattern: string, name: string) => pattern.replace('{NAME}', name.toUpperCase());

export interface SubgraphDefinition {
  /** The subgraph's name in the supergraph, its database's name and the prefix of its variables. */
  name: string;
  defaultPort: number;
  /** The subgraph's folder. */
  path: string;
  /** The subgraph's SDL, read by composition. */
  schemaPath: string;
  /** The service's entry point, started as its own process by the dev stack and the containers. */
  mainPath: string;
  /** The composition root, whose `service` export the test harness starts in-process. */
  modulePath: string;
  prismaSchemaPath: string;
  migrationsDir: string;
  /** The topics its consumer group reads (empty: it consumes nothing). */
  consumes: readonly string[];
}

/** Every subgraph of the supergraph, in the order the topology lists them. */
export const SUBGRAPHS: readonly SubgraphDefinition[] = Object.entries(TOPOLOGY.subgraphs).map(([name, entry]) => {
  const inFolder = (relative: string) => fromRepo(path.join(entry.path, relative));
  return {
    name,
    defaultPort: entry.port,
    path: fromRepo(entry.path),
    schemaPath: inFolder(TOPOLOGY.layout.schema),
    mainPath: inFolder(TOPOLOGY.layout.main),
    modulePath: inFolder(TOPOLOGY.layout.module),
    prismaSchemaPath: inFolder(TOPOLOGY.layout.prismaSchema),
    migrationsDir: inFolder(TOPOLOGY.layout.migrations),
    consumes: entry.consumes,
  };
});

export function subgraphNamed(name: string): SubgraphDefinition {
  const found = SUBGRAPHS.find((definition) => definition.name === name);
  if (!found) throw new Error(`no subgraph "${name}" in ${TOPOLOGY_PATH} (known: ${SUBGRAPHS.map((definition) => definition.name).join(', ')})`);
  return found;
}

export const ROUTER = {
  defaultPort: TOPOLOGY.router.port,
  portVariable: TOPOLOGY.router.portVariable,
  mainPath: fromRepo(TOPOLOGY.router.main),
  /** The router's composition root; its `service` export is what the test harness starts. */
  modulePath: fromRepo(TOPOLOGY.router.module),
} as const;

export const SUPERGRAPH_PATH = fromRepo(TOPOLOGY.router.supergraph);

/** The variable that overrides where the router reaches a subgraph, e.g. USERS_SUBGRAPH_URL. */
export const subgraphUrlVariable = (name: string) => variable(TOPOLOGY.variables.url, name);
export const subgraphPortVariable = (name: string) => variable(TOPOLOGY.variables.port, name);
export const databaseUrlVariable = (name: string) => variable(TOPOLOGY.variables.database, name);
export const defaultSubgraphUrl = (definition: SubgraphDefinition) => `http://localhost:${definition.defaultPort}/graphql`;

/**
 * Every consumer group (one per consuming service, named after it) and the topics it reads, as the
 * consuming services declare them in the topology.
 */
export const CONSUMER_GROUPS: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  SUBGRAPHS.filter(({ consumes }) => consumes.length > 0).map(({ name, consumes }) => [name, consumes]),
);
