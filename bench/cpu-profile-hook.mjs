/*
 * Loaded into every Node process of a stack (NODE_OPTIONS=--import) by `npm run bench:checkout --
 * --cpu-prof`: Node 20 refuses --cpu-prof in NODE_OPTIONS, so the profiler runs through the
 * inspector. SIGUSR2 starts it; the next SIGUSR2 stops it and writes
 * $BAZAAR_CPU_PROFILE_DIR/<pid>.cpuprofile, so a profile covers the measured rounds only, not
 * the start (module loading would bury everything else).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

const directory = process.env.BAZAAR_CPU_PROFILE_DIR;
if (directory) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  let profiling = false;
  process.on('SIGUSR2', () => {
    if (!profiling) {
      session.post('Profiler.start');
      profiling = true;
      return;
    }
    profiling = false;
    session.post('Profiler.stop', (error, result) => {
      if (!error) writeFileSync(path.join(directory, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
