/**
 * Builds the folder the production image runs from (the Dockerfile's runtime stage copies exactly
 * this): every service compiled ahead of time into one ES module each, with the workspace packages
 * and the generated Prisma clients inside it, and beside them only the files of node_modules those
 * modules can load, found by tracing (@vercel/nft). No TypeScript, tsx, turbo, Prisma CLI or
 * embedded Postgres binaries end up in it.
 *
 *   npm run build:runtime [-- <out dir>]     (default: dist/runtime)
 *
 * Requires `npm run generate` first (Prisma clients, resolver types).
 */
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeFileTrace } from '@vercel/nft';
import { bundleEntries, bundlePath } from '@bazaar/devstack/bundle';
import { SUBGRAPHS } from '../router/src/subgraphs';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const SUBGRAPH_NAMES = SUBGRAPHS.map(({ name }) => name);

/** Entry points, as paths inside the repository; each bundle keeps its path with a .js extension. */
export const RUNTIME_ENTRIES = [
  ...SUBGRAPH_NAMES.map((name) => `subgraphs/${name}/src/main.ts`),
  'router/src/main.ts',
  'deploy/docker/dev-signing-key.ts',
];

/** Files read at run time next to the bundles (paths the code computes from import.meta.url). */
const DATA_FILES = [...SUBGRAPH_NAMES.map((name) => `subgraphs/${name}/src/schema.graphql`), 'schema/supergraph.graphql', 'schema/operations', 'supergraph.config.yaml', 'deploy/docker/entrypoint.sh'];

/** Files the router's explorer resolves by name inside packages (no import for a tracer to follow). */
const EXPLORER_ASSETS = ['react/umd/react.production.min.js', 'react-dom/umd/react-dom.production.min.js', 'graphiql/graphiql.min.js', 'graphiql/graphiql.min.css'];
const fromRouter = createRequire(path.join(REPO_ROOT, 'router/src/main.ts'));
const explorerAsset = (asset: string) => {
  const [name, ...file] = asset.split('/');
  return path.join(path.dirname(fromRouter.resolve(`${name}/package.json`)), ...file);
};

/** Packages the services load with `require` only when asked (the tracing SDK, @bazaar/telemetry): traced from their entry files. */
const LOADED_ON_DEMAND = ['@opentelemetry/sdk-node', '@opentelemetry/instrumentation-graphql', '@opentelemetry/instrumentation-http', '@opentelemetry/instrumentation-pg', '@opentelemetry/instrumentation-undici'];
const fromTelemetry = createRequire(path.join(REPO_ROOT, 'packages/telemetry/src/tracing.ts'));

export async function buildRuntime(outDir: string): Promise<{ files: number }> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const bundles = RUNTIME_ENTRIES.map((entry) => bundlePath(outDir, entry));
  await bundleEntries(REPO_ROOT, RUNTIME_ENTRIES, outDir, 'warning');
  await writeFile(path.join(outDir, 'package.json'), `${JSON.stringify({ name: 'book-bazaar-runtime', private: true, type: 'module' }, null, 2)}\n`);
  for (const file of DATA_FILES) await cp(path.join(REPO_ROOT, file), path.join(outDir, file), { recursive: true });

  // Trace from the repository (where node_modules is), then copy what the bundles reach. Node 20.19+
  // resolves `module-sync` exports when a package is required, while nft assumes that only from Node
  // 22 on: trace with and without that condition so the folder runs on every Node the code supports.
  const entries = [...bundles.map((bundle) => path.join(REPO_ROOT, path.relative(outDir, bundle))), ...EXPLORER_ASSETS.map(explorerAsset), ...LOADED_ON_DEMAND.map((name) => fromTelemetry.resolve(name))];
  const trace = (conditions: string[]) =>
    nodeFileTrace(entries, {
      base: REPO_ROOT,
      conditions,
      // Bundles do not exist in the repository; read them from the output folder instead.
      readFile: async (file) => {
        const relative = path.relative(REPO_ROOT, file);
        const built = RUNTIME_ENTRIES.some((entry) => relative === entry.replace(/\.ts$/, '.js'));
        return readFile(built ? path.join(outDir, relative) : file).catch(() => null);
      },
    });
  const traces = await Promise.all([trace(['node']), trace(['node', 'module-sync'])]);
  const fileList = new Set(traces.flatMap((traced) => [...traced.fileList]));
  const modules = [...fileList].filter((file) => file.split(path.sep).includes('node_modules'));
  for (const file of modules) await cp(path.join(REPO_ROOT, file), path.join(outDir, file), { dereference: true, recursive: true });
  return { files: modules.length };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outDir = path.resolve(process.argv[2] ?? path.join(REPO_ROOT, 'dist/runtime'));
  const { files } = await buildRuntime(outDir);
  console.log(`runtime folder ${outDir}: ${RUNTIME_ENTRIES.length} bundles, ${files} files from node_modules`);
}
