/*
 * `npm run bench -- <scenario> [options]`: runs one benchmark as a process of its own.
 *   stack (the default): npm start's time to ready and the checkout (bench/stack.ts)
 *   events: hops, then stack, then every figure beside its target (bench/events.ts)
 *   reads: the storefront's reads against our router, Hive Gateway and the subgraph (bench/reads.ts)
 *   hops:  one event hop per transport (bench/hops.ts)
 *   checkout: where a checkout's time and CPU go, per process and per hop (bench/checkout-profile.ts)
 *   search: each search on 100,000 books, its SQL alone and through the router (bench/search.ts)
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCENARIOS: Record<string, string> = {
  stack: './stack.ts',
  reads: './reads.ts',
  hops: './hops.ts',
  checkout: './checkout-profile.ts',
  search: './search.ts',
  events: './events.ts',
};

const [first, ...rest] = process.argv.slice(2);
// No scenario named (or only options): the stack benchmark, as `npm run bench` always ran it.
const named = first !== undefined && !first.startsWith('-');
const scenario = named ? first : 'stack';
const args = named ? rest : process.argv.slice(2);
const script = SCENARIOS[scenario];
if (!script) {
  console.error(`unknown benchmark "${scenario}": one of ${Object.keys(SCENARIOS).join(', ')}`);
  process.exit(2);
}
const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL(script, import.meta.url)), ...args], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
child.once('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
