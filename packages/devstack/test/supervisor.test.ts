import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { GraphQLClient } from '@bazaar/testing';
import { isAlive, launchStack } from '../src/launch';
import { bundleCacheFolder, cartPidIn, cleanupAfterAll, commandLine, freeStackPorts, pidsIn, scratchFolder } from './launcher-setup';

/**
 * Under `npm start` a Postgres that dies (OOM killer, a stray `kill`) used to leave every subgraph
 * running and failing with nothing said (issue #20). The supervisor stops the whole stack with one
 * line naming the dead process; a dead subgraph is covered in devstack.test.ts, and so are the
 * service bundles being built, reused and rebuilt. A start costs minutes on a busy machine, so the
 * one start here also shows the services running from TypeScript when the bundles cannot be built.
 */
describe('npm start supervision', () => {
  const cleanup = cleanupAfterAll();

  it('runs the services from TypeScript when building bundles fails, and stops the whole stack with one clear line when its Postgres is killed', async () => {
    const dataDir = await scratchFolder('bazaar-devstack-postgres-death-', cleanup);
    // A cache folder that cannot be created (a file stands in its way).
    const blocked = path.join(await bundleCacheFolder(cleanup), 'not-a-folder');
    await writeFile(blocked, '');
    const launcher = launchStack({ BAZAAR_DATA_DIR: dataDir, BAZAAR_CACHE_DIR: blocked, ...(await freeStackPorts()), SEED_DEMO_DATA: 'false' });
    cleanup.push(async () => void launcher.child.kill('SIGKILL'));
    const [, routerUrl] = await launcher.waitFor(/Book Bazaar is running: (\S+)/, 900_000);
    const [, pidList] = await launcher.waitFor(/processes: ([\d ,]+)/);
    expect(launcher.output()).toMatch(/could not build the service bundles \(.+\): running the services from TypeScript \(tsx\)/);
    expect(await commandLine(cartPidIn(launcher.output()))).toMatch(/--import tsx \S+\/subgraphs\/cart\/src\/main\.ts$/);
    const answer = await new GraphQLClient(routerUrl!).data<{ books: { totalCount: number } }>('{ books(first: 1) { totalCount } }');
    expect(answer.books.totalCount).toBe(0);

    // cli.ts, run-stack.ts, then the postmaster, then the services.
    const pids = pidsIn(pidList!);
    const postmaster = pids[2]!;
    expect(/services: .*/.exec(launcher.output())?.[0]).not.toContain(`=${postmaster}`);
    process.kill(postmaster, 'SIGKILL');
    expect(await launcher.exited).toBe(1);
    const deathLines = launcher.output().split('\n').filter((line) => line.includes(' died '));
    expect(deathLines).toEqual([expect.stringMatching(/^\[bazaar\] postgres died \(exit code null\): stopping the whole stack/)]);
    await vi.waitFor(() => expect(pids.filter(isAlive)).toEqual([]), { timeout: 60_000, interval: 200 });
    console.log(`postgres killed under npm start: launcher exit code 1, "${deathLines[0]}", ${pids.length} processes, 0 left running`);
  }, 900_000);
});
