import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { freePort, freeSubgraphPorts, isAlive, launchStack } from '../src/launch';

/**
 * Under `npm start` a Postgres that dies (OOM killer, a stray `kill`) used to leave every subgraph
 * running and failing with nothing said (issue #20). The supervisor stops the whole stack with one
 * line naming the dead process; a dead subgraph is covered in devstack.test.ts.
 */
describe('npm start supervision', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('stops the whole stack with one clear line when its Postgres is killed', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'bazaar-devstack-postgres-death-'));
    await chmod(dataDir, 0o755);
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
    const launcher = launchStack({ BAZAAR_DATA_DIR: dataDir, POSTGRES_PORT: await freePort(), ROUTER_PORT: await freePort(), ...(await freeSubgraphPorts()), SEED_DEMO_DATA: 'false' });
    cleanup.push(async () => void launcher.child.kill('SIGKILL'));
    const [, pidList] = await launcher.waitFor(/processes: ([\d ,]+)/, 600_000);
    // cli.ts, run-stack.ts, then the postmaster, then the services.
    const pids = pidList!.split(',').map((pid) => Number(pid.trim()));
    const postmaster = pids[2]!;
    expect(/services: .*/.exec(launcher.output())?.[0]).not.toContain(`=${postmaster}`);
    process.kill(postmaster, 'SIGKILL');
    expect(await launcher.exited).toBe(1);
    const deathLines = launcher.output().split('\n').filter((line) => line.includes(' died '));
    expect(deathLines).toEqual([expect.stringMatching(/^\[bazaar\] postgres died \(exit code null\): stopping the whole stack/)]);
    await vi.waitFor(() => expect(pids.filter(isAlive)).toEqual([]), { timeout: 60_000, interval: 200 });
    console.log(`postgres killed under npm start: launcher exit code 1, "${deathLines[0]}", ${pids.length} processes, 0 left running`);
  }, 600_000);
});
