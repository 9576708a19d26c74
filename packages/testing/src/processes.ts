import { spawn } from 'node:child_process';
import { fromTypeScript, spawnService, stopProcess, waitUntilReady, type ServiceProcess } from '@bazaar/devstack';
import { freePort } from '@bazaar/devstack/launch';
import { subgraphPortVariable, type Env, type SubgraphDefinition } from '@bazaar/topology';
import { createLogger, type RunningService } from '@bazaar/service';
import type { SubgraphStarter } from './stack';

/** Subgraphs run as processes of their own, which a test can kill outright and start again. */
export interface ProcessStarter extends SubgraphStarter {
  /** SIGKILLs the subgraph's process (no shutdown hook runs) and waits until it is gone. */
  kill(name: string): Promise<void>;
  /** Starts the subgraph's process again, on the same port and database, and waits until it is ready. */
  restart(name: string): Promise<void>;
}

/**
 * Each subgraph's real `main.ts` as a process of its own, as `npm start` runs it, on a port chosen
 * up front so that a restart answers where the router already sends requests. For the crash tests:
 * an in-process service cannot be SIGKILLed.
 */
export function asProcesses(): ProcessStarter {
  const started = new Map<string, { definition: SubgraphDefinition; env: Env; url: string; process?: ServiceProcess }>();
  const entry = (name: string) => {
    const found = started.get(name);
    if (!found) throw new Error(`no subgraph ${name} was started as a process`);
    return found;
  };
  const launch = async (name: string) => {
    const service = entry(name);
    service.process = spawnService(name, fromTypeScript(service.definition.mainPath), service.env);
    await waitUntilReady(service.process, new URL('/ready', service.url).toString());
  };
  const running = (name: string) => {
    const child = entry(name).process?.child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  };
  return {
    port: async () => Number(await freePort()),
    async start(definition, env): Promise<RunningService> {
      const port = Number(env[subgraphPortVariable(definition.name)]);
      const url = `http://127.0.0.1:${port}/graphql`;
      started.set(definition.name, { definition, env, url });
      await launch(definition.name);
      return {
        name: definition.name,
        url,
        port,
        // The process logs for itself; this logger is the test side's, and has nothing to say.
        logger: createLogger({ service: definition.name, level: 'silent' }),
        stop: async () => {
          const service = entry(definition.name).process;
          if (service) await stopProcess(service);
        },
      };
    },
    async kill(name) {
      const service = entry(name).process;
      if (!service || !running(name)) return;
      service.quiet = true;
      service.child.kill('SIGKILL');
      await service.exited;
    },
    restart: launch,
  };
}

/** Runs a TypeScript command (a seed, a payout run) as its own process, as `npm run` would; resolves with its exit code and output. */
export function runCommand(scriptPath: string, args: string[], env: Env): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', scriptPath, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}
