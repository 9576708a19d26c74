/**
 * Compiles service entry points ahead of time into one ES module each, for the production image
 * (scripts/build-runtime.ts) and for `npm start` (service-bundles.ts). Our workspace packages and
 * the generated Prisma clients are compiled in; every other package stays an import of node_modules,
 * so native parts, WebAssembly and files packages read beside themselves keep working unchanged.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { build, type Metafile, type Plugin } from 'esbuild';

const packageName = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

/**
 * Whether a workspace has its own copy of a package (another version than the hoisted one, e.g. uuid 13
 * in packages/events while the root holds an older one). A bundle resolves its imports from the root,
 * so such a package is compiled into the bundle instead of staying an import.
 */
function hasOwnCopy(repoRoot: string, specifier: string, resolveDir: string): boolean {
  for (let folder = resolveDir; folder.startsWith(repoRoot) && folder !== path.dirname(repoRoot); folder = path.dirname(folder)) {
    if (path.relative(folder, repoRoot) === '') return false;
    if (existsSync(path.join(folder, 'node_modules', packageName(specifier), 'package.json'))) return true;
  }
  return false;
}

/** Our workspace packages (and workspace-own copies of packages) are compiled in; every other package stays an import of node_modules. */
const thirdPartyExternal = (repoRoot: string): Plugin => ({
  name: 'third-party-external',
  setup(builder) {
    builder.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@bazaar/') || hasOwnCopy(repoRoot, args.path, args.resolveDir) ? undefined : { path: args.path, external: true },
    );
  },
});

/**
 * Bundles `entries` (paths inside `repoRoot`) into `outDir`, each at its source's path with a .js
 * extension and a linked source map. Returns every input file esbuild read.
 */
export async function bundleEntries(
  repoRoot: string,
  entries: readonly string[],
  outDir: string,
  logLevel: 'warning' | 'silent' = 'silent',
): Promise<Metafile['inputs']> {
  const { metafile } = await build({
    absWorkingDir: repoRoot,
    entryPoints: [...entries],
    outbase: '.',
    outdir: outDir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    // The oldest Node the code must run on (package.json engines); images run a newer LTS.
    target: 'node20.19',
    sourcemap: 'linked',
    legalComments: 'none',
    plugins: [thirdPartyExternal(repoRoot)],
    logLevel,
    metafile: true,
  });
  return metafile.inputs;
}

/** Where `bundleEntries` writes the bundle of `entry`. */
export const bundlePath = (outDir: string, entry: string) => path.join(outDir, entry.replace(/\.ts$/, '.js'));
