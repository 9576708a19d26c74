import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import type { StartPhase } from '@bazaar/service';
import { REPO_ROOT, type Env } from '@bazaar/topology';

export class PortInUseError extends Error {}

/** Fails with the port and the variable that moves it, before anything has been started. */
export async function assertPortsFree(host: string, ports: ReadonlyArray<{ port: number; variable: string }>) {
  for (const { port, variable } of ports) {
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, host, () => probe.close(() => resolve(true)));
    });
    if (!free) {
      throw new PortInUseError(`Port ${port} is already in use. Stop whatever uses it, or set ${variable} to another port.`);
    }
  }
}

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  /** The exit code, or null when a signal ended it. */
  exited: Promise<number | null>;
  /** From now on only warnings and errors of its log reach the terminal (set when stopping). */
  quiet: boolean;
  /** When (Date.now()) it was spawned, reached each phase it reports (`reportStartPhase`), and answered /ready. */
  phases: Partial<Record<'spawned' | StartPhase | 'ready', number>>;
}

/**
 * Starts a service as its own Node process (`node <nodeArgs>`: its bundle, or its `main.ts` through tsx). The IPC channel doubles as a lifeline: the
 * child stops itself when the launcher disappears, even if the launcher was killed outright. Its
 * output goes through the launcher, so a closed terminal or pipe never reaches the service.
 */
export function spawnService(name: string, nodeArgs: string[], env: Env): ServiceProcess {
  const spawned = Date.now();
  const child = spawn(process.execPath, nodeArgs, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const service: ServiceProcess = {
    name,
    child,
    exited: new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))),
    quiet: false,
    phases: { spawned },
  };
  child.on('message', (message: { startPhase?: StartPhase; at?: number }) => {
    if (message.startPhase && typeof message.at === 'number') service.phases[message.startPhase] = message.at;
  });
  const forward = (to: NodeJS.WriteStream) => (line: string) => {
    if (!service.quiet || !/"level":"(info|debug|trace)"/.test(line)) to.write(`${line}\n`);
  };
  createInterface({ input: child.stdout! }).on('line', forward(process.stdout));
  createInterface({ input: child.stderr! }).on('line', forward(process.stderr));
  return service;
}

/** Waits for `/ready` to answer 200, failing early if the process exits first. Generous: on a busy machine books alone may take minutes to seed the demo catalog. */
export async function waitUntilReady(service: ServiceProcess, readyUrl: string, signal?: AbortSignal, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void service.exited.then((code) => (exitCode = code));
  while (Date.now() < deadline) {
    signal?.throwIfAborted();
    if (exitCode !== undefined) throw new Error(`${service.name} exited with code ${exitCode} while starting`);
    try {
      const response = await fetch(readyUrl);
      if (response.ok) {
        service.phases.ready = Date.now();
        return;
      }
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`${service.name} was not ready after ${timeoutMs / 1000}s (${readyUrl})`);
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
export async function stopProcess(service: ServiceProcess, graceMs = 10_000): Promise<number | null> {
  service.quiet = true;
  if (service.child.exitCode !== null || service.child.signalCode !== null) return service.child.exitCode;
  service.child.kill('SIGTERM');
  const timer = setTimeout(() => service.child.kill('SIGKILL'), graceMs);
  const code = await service.exited;
  clearTimeout(timer);
  return code;
}
