/**
 * Runs `npm start`'s launcher as a process of its own, the way a user does, on free ports: for the
 * tests that attack the launcher and for the benchmarks that time it.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { REPO_ROOT, SUBGRAPHS, subgraphPortVariable } from '@bazaar/topology';

export interface LaunchedStack {
  child: ReturnType<typeof spawn>;
  exited: Promise<number | null>;
  /** Resolves with the first match of `pattern` in the launcher's output so far or to come. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  output(): string;
}

export const LAUNCHER_PATH = path.join(REPO_ROOT, 'packages/devstack/src/cli.ts');

export function launchStack(env: Record<string, string>, options: { echo?: boolean; args?: string[] } = {}): LaunchedStack {
  const child = spawn(process.execPath, ['--import', 'tsx', LAUNCHER_PATH, ...(options.args ?? [])], {
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    if (options.echo) process.stdout.write(chunk);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitFor = async (pattern: RegExp, timeoutMs = 180_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(output)) {
      if (child.exitCode !== null) throw new Error(`launcher exited (${child.exitCode}):\n${output}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return pattern.exec(output)!;
  };
  return { child, exited, waitFor, output: () => output };
}

/** Ports this process handed out: the probe frees a port at once, so it could be chosen twice. */
const handedOut = new Set<number>();

/**
 * A free port below Linux's ephemeral range (32768+): the launcher binds its ports seconds after
 * choosing them, and an ephemeral port may meanwhile go to a connection of a test running beside it.
 * Never the same port twice in one process (a stack's nine ports are chosen one after another,
 * before any is bound: a bench run failed with two services on one port).
 */
export async function freePort(): Promise<string> {
  for (;;) {
    const candidate = 20_000 + Math.floor(Math.random() * 12_000);
    if (handedOut.has(candidate)) continue;
    handedOut.add(candidate);
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(candidate, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return String(candidate);
  }
}

/** Every subgraph on a free port, so a launched stack never collides with a running one. */
export const freeSubgraphPorts = async (): Promise<Record<string, string>> =>
  Object.fromEntries(await Promise.all(SUBGRAPHS.map(async ({ name }) => [subgraphPortVariable(name), await freePort()])));

/** Whether a process with this pid exists (signal 0 probes without signalling). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
