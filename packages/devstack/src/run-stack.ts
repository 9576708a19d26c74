/**
 * The stack behind `npm start` (started by cli.ts in a process group of its own): starts it, says
 * when it is ready, stops it in order on SIGTERM or when cli.ts goes away, and stops it too when a
 * service dies, saying which.
 */
import { ConfigError } from '@bazaar/service';
import { DEMO_ACCOUNTS } from '@bazaar/demo';
import { PortInUseError } from './processes';
import { startDevStack, type DevStack } from './stack';
import { describeStartTimings } from './start-timings';
import { superviseStack } from './supervisor';

process.stdout.on('error', () => {});
process.stderr.on('error', () => {});
const log = (line: string) => console.log(`[bazaar] ${line}`);
/** When `npm start` started (cli.ts says), else when this process did; as Date.now() time. */
const launchedAt = Number(process.env.BAZAAR_LAUNCHED_AT) || performance.timeOrigin;

let stack: DevStack | undefined;
let stopping = false;
const starting = new AbortController();
const stop = (reason: string, exitCode: number) => {
  if (stopping) return;
  stopping = true;
  if (reason) log(reason);
  // Still starting: abort the start, which stops whatever it started (below).
  if (!stack) return starting.abort();
  stack.stop().then(
    () => {
      log('stopped.');
      process.exit(exitCode);
    },
    (error: unknown) => {
      log(`could not stop cleanly: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', () => stop('', 0));
process.on('SIGINT', () => stop('', 0));
// cli.ts is gone (killed outright): nobody can stop us any more, so stop now.
process.on('disconnect', () => stop('the launcher went away: stopping', 0));

try {
  stack = await startDevStack(process.env, log, starting.signal);
  superviseStack(stack, stop, () => stopping);
  const development = (process.env.NODE_ENV ?? 'development') === 'development';
  log('');
  log(`Book Bazaar is running: ${stack.routerUrl}  (ready in ${((Date.now() - launchedAt) / 1000).toFixed(1)} s)`);
  if (development) {
    log(`Open it in a browser for the explorer (GraphiQL, works offline). Data is kept in ${stack.dataDir}.`);
    log('The web shop: run `npm run web` in another terminal, then open http://localhost:5173');
    log('Demo accounts (development only):');
    for (const account of DEMO_ACCOUNTS) log(`  ${account.roles.join('+').padEnd(19)} ${account.email}  password: ${account.password}`);
  }
  if (process.argv.includes('--timings')) for (const line of describeStartTimings(launchedAt, stack.steps, stack.services)) log(line);
  log(`services: ${stack.services.map(({ name, child }) => `${name}=${child.pid}`).join(' ')}`);
  log(`processes: ${[process.ppid, process.pid, ...stack.pids].join(', ')}`);
  log('Press Ctrl-C to stop.');
} catch (error) {
  if (stopping) {
    log('stopped.');
    process.exit(0);
  }
  console.error(error instanceof PortInUseError || error instanceof ConfigError ? `[bazaar] ${error.message}` : error);
  process.exit(1);
}
