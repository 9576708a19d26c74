/** What every test of `npm start` as a process needs: scratch folders, free ports, cleanup, process checks. */
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { REPO_ROOT } from '@bazaar/topology';
import { freePort, freeSubgraphPorts } from '../src/launch';

/** Steps run in reverse order after the file's last test, also when a test failed half-way. */
export function cleanupAfterAll(): Array<() => Promise<void>> {
  const steps: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const step of steps.reverse()) await step();
  });
  return steps;
}

/** A throw-away folder the postgres OS user can reach (a checkout normally is), removed at cleanup. */
export async function scratchFolder(prefix: string, cleanup: Array<() => Promise<void>>): Promise<string> {
  const folder = await mkdtemp(path.join(tmpdir(), prefix));
  await chmod(folder, 0o755);
  cleanup.push(() => rm(folder, { recursive: true, force: true }));
  return folder;
}

/**
 * A BAZAAR_CACHE_DIR of the test's own, so its bundles are built by it and seen by it alone; inside
 * the repository, as the bundles import node_modules from the folders above them.
 */
export async function bundleCacheFolder(cleanup: Array<() => Promise<void>>): Promise<string> {
  const folder = await mkdtemp(path.join(REPO_ROOT, 'node_modules', '.cache', 'bazaar-test-'));
  cleanup.push(() => rm(folder, { recursive: true, force: true }));
  return folder;
}

/** Postgres, the router and every subgraph on free ports, so a launched stack never collides with a running one. */
export const freeStackPorts = async (): Promise<Record<string, string>> => ({
  POSTGRES_PORT: await freePort(),
  ROUTER_PORT: await freePort(),
  ...(await freeSubgraphPorts()),
});

/** The pids of the launcher's `processes: 1, 2, …` line. */
export const pidsIn = (list: string) => list.split(',').map((pid) => Number(pid.trim()));

/** The command line a process was started with (Linux), e.g. to see whether a service runs from a bundle. */
export const commandLine = async (pid: number) => (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ').trim();

/** The cart service's pid from the launcher's `services: name=pid …` line. */
export const cartPidIn = (output: string) => Number(/cart=(\d+)/.exec(output)?.[1]);
