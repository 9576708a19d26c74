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
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeFileTrace } from '@vercel/nft';
import { build, type Plugin } from 'esbuild';
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

const packageName = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

/**
 * Whether a workspace has its own copy of a package (another version than the hoisted one, e.g. uuid 13
 * in packages/events while the root holds an older one). A bundle resolves its imports from the root,
 * so such a package is compiled into the bundle instead of staying an import.
 */
function hasOwnCopy(specifier: string, resolveDir: string): boolean {
  for (let folder = resolveDir; folder.startsWith(REPO_ROOT) && folder !== path.dirname(REPO_ROOT); folder = path.dirname(folder)) {
    if (path.relative(folder, REPO_ROOT) === '') return false;
    if (existsSync(path.join(folder, 'node_modules', packageName(specifier), 'package.json'))) return true;
  }
  return false;
}

/** Our workspace packages (and workspace-own copies of packages) are compiled in; every other package stays an import of node_modules. */
const thirdPartyExternal: Plugin = {
  name: 'third-party-external',
  setup(builder) {
    builder.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@bazaar/') || hasOwnCopy(args.path, args.resolveDir) ? undefined : { path: args.path, external: true },
    );
  },
};

export async function buildRuntime(outDir: string): Promise<{ files: number }> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const bundles = RUNTIME_ENTRIES.map((entry) => path.join(outDir, entry.replace(/\.ts$/, '.js')));
  await build({
    absWorkingDir: REPO_ROOT,
    entryPoints: RUNTIME_ENTRIES,
    outbase: '.',
    outdir: outDir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    // The oldest Node the code must run on (package.json engines); images run a newer LTS.
    target: 'node20.19',
    sourcemap: 'linked',
    legalComments: 'none',
    plugins: [thirdPartyExternal],
    logLevel: 'warning',
  });
  await writeFile(path.join(outDir, 'package.json'), `${JSON.stringify({ name: 'book-bazaar-runtime', private: true, type: 'module' }, null, 2)}\n`);
  for (const file of DATA_FILES) await cp(path.join(REPO_ROOT, file), path.join(outDir, file), { recursive: true });

  // Trace from the repository (where node_modules is), then copy what the bundles reach. Node 20.19+
  // resolves `module-sync` exports when a package is required, while nft assumes that only from Node
  // 22 on: trace with and without that condition so the folder runs on every Node the code supports.
  const entries = [...bundles.map((bundle) => path.join(REPO_ROOT, path.relative(outDir, bundle))), ...EXPLORER_ASSETS.map(explorerAsset)];
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
