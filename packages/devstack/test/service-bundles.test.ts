import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { GraphQLClient } from '@bazaar/testing';
import { REPO_ROOT } from '@bazaar/topology';
import { freePort, freeSubgraphPorts, isAlive, launchStack } from '../src/launch';

/** The command line a process was started with (Linux), e.g. to see whether a service runs from a bundle. */
const commandLine = async (pid: number) => (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ').trim();

/**
 * `npm start` runs the services from esbuild bundles kept in a cache folder (BAZAAR_CACHE_DIR here, a
 * folder of this test's own): built on the first start, reused while nothing they were built from
 * changed, rebuilt when something did, and when building fails the services run from TypeScript.
 * Every start goes through the real launcher as a process, as a user's does.
 */
describe('npm start runs the services from cached bundles', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('builds them once, reuses them, rebuilds after a source change, and falls back to TypeScript when building fails', async () => {
    const scratch = await mkdtemp(path.join(tmpdir(), 'bazaar-bundles-'));
    await chmod(scratch, 0o755); // the postgres OS user must reach the data folder inside
    cleanup.push(() => rm(scratch, { recursive: true, force: true }));
    // Inside the repository, as the bundles import node_modules from the folders above them.
    const cacheDir = await mkdtemp(path.join(REPO_ROOT, 'node_modules', '.cache', 'bazaar-test-'));
    cleanup.push(() => rm(cacheDir, { recursive: true, force: true }));
    const env = {
      BAZAAR_DATA_DIR: path.join(scratch, 'data'),
      BAZAAR_CACHE_DIR: cacheDir,
      POSTGRES_PORT: await freePort(),
      ROUTER_PORT: await freePort(),
      ...(await freeSubgraphPorts()),
      SEED_DEMO_DATA: 'false',
    };
    /** Starts the stack until ready, hands its cart service's command line to `check`, then Ctrl-C. */
    const startAndStop = async (startEnv: Record<string, string>) => {
      const stack = launchStack(startEnv);
      cleanup.push(async () => void stack.child.kill('SIGKILL'));
      const [, routerUrl] = await stack.waitFor(/Book Bazaar is running: (\S+)/, 900_000);
      const [, pidList] = await stack.waitFor(/processes: ([\d ,]+)/);
      const cart = await commandLine(Number(/cart=(\d+)/.exec(stack.output())![1]));
      const answer = await new GraphQLClient(routerUrl!).data<{ books: { totalCount: number } }>('{ books(first: 1) { totalCount } }');
      expect(answer.books.totalCount).toBe(0);
      stack.child.kill('SIGINT');
      expect(await stack.exited).toBe(0);
      const pids = pidList!.split(',').map((pid) => Number(pid.trim()));
      await vi.waitFor(() => expect(pids.filter(isAlive)).toEqual([]), { timeout: 60_000, interval: 200 });
      return { output: stack.output(), cart };
    };

    const first = await startAndStop(env);
    expect(first.output).toMatch(/built the service bundles in [\d.]+ s;/);
    expect(first.cart).toMatch(new RegExp(`^\\S+ --enable-source-maps ${cacheDir}/services/[\\w-]+/subgraphs/cart/src/main\\.js$`));
    console.log(`first start: ${/built the service bundles in [\d.]+ s/.exec(first.output)![0]}`);

    const again = await startAndStop(env);
    expect(again.output, 'nothing changed: no build').not.toMatch(/built the service bundles/);
    expect(again.cart).toBe(first.cart);

    // A source edited since the build: its recorded hash no longer matches (the repository's files
    // stay untouched, other tests read them at the same time).
    const buildDir = path.dirname(path.dirname(path.dirname(path.dirname(first.cart.split(' ').at(-1)!))));
    const manifestPath = path.join(buildDir, 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { inputs: Record<string, string> };
    expect(Object.keys(manifest.inputs)).toContain('subgraphs/cart/src/index.ts');
    manifest.inputs['subgraphs/cart/src/index.ts'] = 'edited since';
    await writeFile(manifestPath, JSON.stringify(manifest));
    const edited = await startAndStop(env);
    expect(edited.output).toMatch(/built the service bundles in [\d.]+ s \(subgraphs\/cart\/src\/index\.ts changed\)/);
    expect(edited.cart).not.toBe(first.cart);

    // A cache folder that cannot be created (a file stands in its way): the services run from TypeScript.
    const blocked = path.join(cacheDir, 'not-a-folder');
    await writeFile(blocked, '');
    const fallback = await startAndStop({ ...env, BAZAAR_CACHE_DIR: blocked });
    expect(fallback.output).toMatch(/could not build the service bundles \(.+\): running the services from TypeScript \(tsx\)/);
    expect(fallback.cart).toMatch(/--import tsx \S+\/subgraphs\/cart\/src\/main\.ts$/);
  }, 2_400_000);
});
