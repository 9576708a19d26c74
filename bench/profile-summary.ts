/*
 * Where a CPU profile (`node --cpu-prof`, e.g. from `npm run bench -- reads --profile <dir>`) spent
 * its time: self time summed by package and by function, the top of each.
 * Usage: tsx bench/profile-summary.ts <file.cpuprofile> [--top 20]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '20' } } });
const top = Number(values.top);
const profile = JSON.parse(readFileSync(positionals[0]!, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfMs = new Map<number, number>();
profile.samples.forEach((id, index) => {
  // Waiting for work is not work.
  if (byId.get(id)?.callFrame.functionName !== '(idle)') selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0) / 1000);
});
const totalMs = [...selfMs.values()].reduce((total, ms) => total + ms, 0);

/** `node_modules/@apollo/gateway/…` → `@apollo/gateway`; the project's own files by folder; Node's by name. */
function packageOf(url: string): string {
  const installed = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (installed) return installed[1]!;
  if (url.startsWith('node:') || (!url.includes('/') && url !== '')) return 'node';
  const own = /\/(router|packages\/[^/]+|subgraphs\/[^/]+|bench)\//.exec(url);
  return own ? own[1]! : url === '' ? '(native, gc)' : url;
}

const sum = (key: (node: ProfileNode) => string) => {
  const totals = new Map<string, number>();
  for (const [id, ms] of selfMs) {
    const name = key(byId.get(id)!);
    totals.set(name, (totals.get(name) ?? 0) + ms);
  }
  return [...totals].sort((a, b) => b[1] - a[1]).slice(0, top);
};
const show = (title: string, rows: [string, number][]) => {
  console.log(`${title} (of ${(totalMs / 1000).toFixed(1)} s sampled)`);
  for (const [name, ms] of rows) console.log(`  ${((100 * ms) / totalMs).toFixed(1).padStart(5)}%  ${name}`);
};
show('self time by package', sum(({ callFrame }) => packageOf(callFrame.url)));
show('self time by function', sum(({ callFrame }) => `${callFrame.functionName || '(anonymous)'}  ${packageOf(callFrame.url)}:${callFrame.lineNumber + 1}`));
