import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { REPO_ROOT } from './paths';
import type { Env } from './environment';

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
  exited: Promise<number | null>;
}

/**
 * Starts a service's `main.ts` as its own Node process. The IPC channel doubles as a lifeline: the
 * child stops itself when the launcher disappears, even if the launcher was killed outright.
 */
export function spawnService(name: string, mainPath: string, env: Env): ServiceProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', mainPath], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { name, child, exited };
}

/** Waits for `/ready` to answer 200, failing early if the process exits first. */
export async function waitUntilReady(service: ServiceProcess, readyUrl: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void service.exited.then((code) => (exitCode = code));
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`${service.name} exited with code ${exitCode} while starting`);
    try {
      const response = await fetch(readyUrl);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`${service.name} was not ready after ${timeoutMs / 1000}s (${readyUrl})`);
}

export async function stopProcess(service: ServiceProcess, graceMs = 10_000): Promise<void> {
  if (service.child.exitCode !== null || service.child.signalCode !== null) return;
  service.child.kill('SIGTERM');
  const timer = setTimeout(() => service.child.kill('SIGKILL'), graceMs);
  await service.exited;
  clearTimeout(timer);
}
