import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const FLOOR_SCRIPT = fileURLToPath(new URL('./floor.ts', import.meta.url));

/** Starts one bare process of bench/floor.ts (`relay <next url>` or `statements <database url>`) and waits until it listens. */
export async function startFloorProcess(mode: 'relay' | 'statements', target: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', FLOOR_SCRIPT, mode, target], { stdio: ['ignore', 'pipe', 'inherit'] });
  for await (const line of createInterface({ input: child.stdout! })) {
    const url = /^listening (\S+)/.exec(line)?.[1];
    if (url) {
      child.stdout!.resume();
      return { url, child };
    }
  }
  throw new Error(`bench/floor.ts ${mode} exited before it listened`);
}
