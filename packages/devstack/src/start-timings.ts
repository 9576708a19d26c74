/**
 * Where a start's time went (`npm start -- --timings`, always on in `npm run bench`): the launcher's
 * steps, then per service the moments it was spawned, had loaded its modules, had its consumer
 * running, listened, and answered /ready, all in seconds since the launcher's process started.
 */
import type { ServiceProcess } from './processes';

export type StartSteps = Array<{ name: string; at: number }>;

const SERVICE_PHASES = ['spawned', 'loaded', 'consuming', 'listening', 'ready'] as const;

export function describeStartTimings(launchedAt: number, steps: StartSteps, services: readonly ServiceProcess[]): string[] {
  const since = (at: number | undefined) => (at === undefined ? '-' : ((at - launchedAt) / 1000).toFixed(1));
  const width = Math.max(...services.map(({ name }) => name.length));
  return [
    `start timings (s after launch): ${steps.map(({ name, at }) => `${name} ${since(at)}`).join(', ')}`,
    `  ${'service'.padEnd(width)}  ${SERVICE_PHASES.map((phase) => phase.padStart(9)).join(' ')}`,
    ...services.map(({ name, phases }) => `  ${name.padEnd(width)}  ${SERVICE_PHASES.map((phase) => since(phases[phase]).padStart(9)).join(' ')}`),
  ];
}
