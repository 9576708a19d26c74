import { spawn } from 'node:child_process';
import { REPO_ROOT } from '@bazaar/topology';

/**
 * `npm run bench -- <args>` from the repository root, its output collected. The demo catalog is
 * cut to 200 books: the wiring is the same, and the first start's catch-up is a tenth as long.
 */
export function runBench(args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn('npm', ['run', '--silent', 'bench', '--', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, DEMO_CATALOG_SIZE: '200' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}
