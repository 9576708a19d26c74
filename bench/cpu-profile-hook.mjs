/*
 * Loaded into every Node process of a stack (NODE_OPTIONS=--import) by `npm run bench:checkout --
 * --cpu-prof`: Node 20 refuses --cpu-prof in NODE_OPTIONS, so the profiler is started through the
 * inspector and its profile written, synchronously, when the process exits (a service exits on
 * SIGTERM/SIGINT through process.exit). Output: $BAZAAR_CPU_PROFILE_DIR/<pid>.cpuprofile.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

const directory = process.env.BAZAAR_CPU_PROFILE_DIR;
if (directory) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  process.on('exit', () => {
    // The in-process inspector session answers synchronously, so this completes before exit.
    session.post('Profiler.stop', (error, result) => {
      if (!error) writeFileSync(path.join(directory, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
