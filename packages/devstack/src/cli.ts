/**
 * `npm start`. The stack itself runs in a process group of its own (run-stack.ts), out of reach of
 * the terminal: Ctrl-C reaches only this process, which asks the stack to stop in order (services
 * first, Postgres last) instead of every process getting the signal at once. Output comes through
 * here, and a reader that goes away (`npm start | tee log`, then Ctrl-C) never makes anything fail.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

// A closed pipe makes writes fail with EPIPE; without a listener that would crash this process.
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});

// Options (`npm start -- --timings`) go on to the stack.
const stack = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./run-stack.ts', import.meta.url)), ...process.argv.slice(2)], {
  detached: true,
  stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  // "ready in N s" counts from this process's start, as the user does.
  env: { ...process.env, BAZAAR_LAUNCHED_AT: String(performance.timeOrigin) },
});
createInterface({ input: stack.stdout! }).on('line', (line) => process.stdout.write(`${line}\n`));
createInterface({ input: stack.stderr! }).on('line', (line) => process.stderr.write(`${line}\n`));

let stopRequested = false;
const stop = (signal: NodeJS.Signals) => {
  if (stopRequested) return;
  stopRequested = true;
  process.stdout.write(`\n[bazaar] ${signal}: stopping…\n`);
  stack.kill('SIGTERM');
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stop);

stack.once('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
