import { ConfigError } from '@bazaar/service';
import { DEMO_ACCOUNTS } from '@bazaar/users/demo';
import { PortInUseError } from './processes';
import { startDevStack } from './stack';

const log = (line: string) => console.log(`[bazaar] ${line}`);

try {
  const stack = await startDevStack(process.env, log);
  const development = (process.env.NODE_ENV ?? 'development') === 'development';
  log('');
  log(`Book Bazaar is running: ${stack.routerUrl}`);
  if (development) {
    log(`Open it in a browser for the explorer (GraphiQL, works offline). Data is kept in ${stack.dataDir}.`);
    log('The web shop: run `npm run web` in another terminal, then open http://localhost:5173');
    log('Demo accounts (development only):');
    for (const account of DEMO_ACCOUNTS) log(`  ${account.roles.join('+').padEnd(19)} ${account.email}  password: ${account.password}`);
  }
  log(`processes: ${stack.pids.join(', ')}`);
  log('Press Ctrl-C to stop.');
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping…`);
    stack.stop().then(
      () => {
        log('stopped.');
        process.exit(0);
      },
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
} catch (error) {
  console.error(error instanceof PortInUseError || error instanceof ConfigError ? `[bazaar] ${error.message}` : error);
  process.exit(1);
}
