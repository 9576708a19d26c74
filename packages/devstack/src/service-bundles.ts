/**
 * `npm start` runs each service from an esbuild bundle instead of through tsx: tsx transpiles and
 * resolves every TypeScript module of eight processes at once on start, which was most of a start
 * with data kept. Bundles are built once into a cache folder and reused while nothing they were built
 * from changed (every file esbuild read, plus package-lock.json, compared by content hash). A build
 * that fails is reported in one line and the services run from TypeScript as before.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { version as esbuildVersion } from 'esbuild';
import { REPO_ROOT } from '@bazaar/topology';
import { bundleEntries, bundlePath } from './bundle';

/** How to start one service's entry point (`node <args>`). */
type ServiceCommand = (mainPath: string) => string[];

export const fromTypeScript: ServiceCommand = (mainPath) => ['--import', 'tsx', mainPath];

/** Read at run time through paths computed from a bundle's location (the router's explorer reads `schema/operations`). */
const MODULE_RELATIVE_FOLDERS = ['schema'];
/** Always part of the fingerprint: a dependency upgrade changes what the bundles import, and so does a change to how they are built. */
const ALWAYS_HASHED = ['package-lock.json', 'packages/devstack/src/bundle.ts', 'packages/devstack/src/service-bundles.ts'];
const MANIFEST = 'manifest.json';
const BUILDS_KEPT = 3;

interface Manifest {
  esbuild: string;
  entries: string[];
  /** Every file the bundles were built from (relative to the repository) and its content hash. */
  inputs: Record<string, string>;
}

interface BundleOptions {
  /** The services' entry points (absolute paths inside the repository). */
  mainPaths: readonly string[];
  /** Builds live in `<cacheDir>/services/<build id>/`. */
  cacheDir: string;
  log: (line: string) => void;
}

/** The command that runs each service: from bundles (reused or rebuilt now), or from TypeScript when building fails. */
export async function prepareServiceBundles(options: BundleOptions): Promise<ServiceCommand> {
  const entries = options.mainPaths.map((mainPath) => path.relative(REPO_ROOT, mainPath));
  const builds = path.join(options.cacheDir, 'services');
  try {
    // A bundle imports its packages from the node_modules folders above it, the repository's.
    if (!options.cacheDir.startsWith(`${REPO_ROOT}${path.sep}`)) throw new Error(`BAZAAR_CACHE_DIR must be inside ${REPO_ROOT}`);
    const hashes = new FileHashes();
    const found = await findUpToDateBuild(builds, entries, hashes);
    let buildDir = found.dir;
    if (!buildDir) {
      const started = performance.now();
      buildDir = await build(builds, entries, hashes);
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      const shown = builds.startsWith(`${REPO_ROOT}${path.sep}`) ? path.relative(REPO_ROOT, builds) : builds;
      options.log(`built the service bundles in ${seconds} s${found.changed ? ` (${found.changed} changed)` : ''}; kept in ${shown}`);
      await pruneOldBuilds(builds, buildDir);
    }
    const dir = buildDir;
    return (mainPath) => ['--enable-source-maps', bundlePath(dir, path.relative(REPO_ROOT, mainPath))];
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    options.log(`could not build the service bundles (${reason}): running the services from TypeScript (tsx)`);
    return fromTypeScript;
  }
}

/** Content hashes, each file read once per start. */
class FileHashes {
  private readonly known = new Map<string, Promise<string | undefined>>();

  of(relative: string): Promise<string | undefined> {
    let hash = this.known.get(relative);
    if (!hash) {
      hash = readFile(path.join(REPO_ROOT, relative)).then(
        (content) => createHash('sha1').update(content).digest('hex'),
        () => undefined,
      );
      this.known.set(relative, hash);
    }
    return hash;
  }
}

/** The newest build whose every input is unchanged, or the first input that changed in the newest build. */
async function findUpToDateBuild(builds: string, entries: string[], hashes: FileHashes): Promise<{ dir?: string; changed?: string }> {
  let changed: string | undefined;
  for (const id of await buildIds(builds)) {
    const manifest = await readFile(path.join(builds, id, MANIFEST), 'utf8')
      .then((text) => JSON.parse(text) as Manifest)
      .catch(() => undefined);
    const comparable = manifest?.esbuild === esbuildVersion && manifest.entries.join('\n') === entries.join('\n') && ALWAYS_HASHED.every((file) => file in manifest.inputs);
    if (!comparable) continue;
    const current = await Promise.all(Object.entries(manifest.inputs).map(async ([file, hash]) => ({ file, same: (await hashes.of(file)) === hash })));
    const first = current.find(({ same }) => !same);
    if (!first) return { dir: path.join(builds, id) };
    changed ??= first.file;
  }
  return changed ? { changed } : {};
}

/** Build folders, newest first (ids start with the time they were built). */
async function buildIds(builds: string): Promise<string[]> {
  const ids = await readdir(builds).catch(() => [] as string[]);
  return ids.sort().reverse();
}

async function build(builds: string, entries: string[], hashes: FileHashes): Promise<string> {
  // A folder of its own per build: stacks starting side by side (tests) never write into one another's.
  const dir = path.join(builds, `${Date.now().toString(36).padStart(9, '0')}-${process.pid}`);
  await mkdir(dir, { recursive: true });
  const read = await bundleEntries(REPO_ROOT, entries, dir);
  for (const entry of entries) await linkBesideBundle(path.dirname(entry), dir);
  for (const folder of MODULE_RELATIVE_FOLDERS) await symlink(path.join(REPO_ROOT, folder), path.join(dir, folder));
  const files = [...new Set([...Object.keys(read), ...ALWAYS_HASHED])].sort();
  const inputs: Record<string, string> = {};
  for (const file of files) inputs[file] = (await hashes.of(file)) ?? 'missing';
  const manifest: Manifest = { esbuild: esbuildVersion, entries, inputs };
  // Written last: a folder without a manifest is a build that never finished.
  await writeFile(path.join(dir, MANIFEST), `${JSON.stringify(manifest, null, 1)}\n`);
  return dir;
}

/**
 * What a service finds through paths computed from its module's location: files beside its source
 * (its schema.graphql), and its workspace's own node_modules (the router's explorer resolves
 * graphiql from there), linked at the same places beside the bundle.
 */
async function linkBesideBundle(sourceDir: string, dir: string): Promise<void> {
  const link = async (relative: string) => {
    if (!existsSync(path.join(dir, relative))) await symlink(path.join(REPO_ROOT, relative), path.join(dir, relative));
  };
  for (const entry of await readdir(path.join(REPO_ROOT, sourceDir), { withFileTypes: true })) {
    if (entry.isFile() && !/\.[cm]?[jt]sx?$/.test(entry.name)) await link(path.join(sourceDir, entry.name));
  }
  for (let folder = sourceDir; folder !== '.'; folder = path.dirname(folder)) {
    if (existsSync(path.join(REPO_ROOT, folder, 'node_modules'))) await link(path.join(folder, 'node_modules'));
  }
}

/** Keeps the newest builds (a stack started a moment ago may still run from one) and drops the others. */
async function pruneOldBuilds(builds: string, keep: string): Promise<void> {
  const ids = await buildIds(builds);
  const hourAgo = Date.now() - 3_600_000;
  for (const id of ids.slice(BUILDS_KEPT)) {
    const dir = path.join(builds, id);
    if (dir === keep) continue;
    const modified = await stat(dir).then((info) => info.mtimeMs, () => 0);
    if (modified < hourAgo) await rm(dir, { recursive: true, force: true });
  }
}
