/**
 * Reads a V8 `.cpuprofile` (written by `node --cpu-prof`) and sums self time per package and per
 * function, so the hot spots of a service under the checkout bench can be printed.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Sampled time, ms, without idle. */
  busyMs: number;
  byPackage: [string, number][];
  byFunction: [string, number][];
}

/** Where a frame's code comes from: an npm package, one of ours, Node itself, or V8's pseudo frames. */
function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node:internal';
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules)/.exec(url);
  if (dependency) return dependency[1]!;
  const ours = /\/(packages|subgraphs|router)\/([^/]+)\//.exec(url);
  if (ours) return ours[1] === 'router' ? 'router' : `${ours[1]}/${ours[2]}`;
  return url;
}

const top = (totals: Map<string, number>, count: number): [string, number][] =>
  [...totals].sort((a, b) => b[1] - a[1]).slice(0, count);

export function summariseProfile(file: string, count = 12): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  // Stopping the profiler (cpu-profile-hook.mjs) shows up as hundreds of ms of native `dispatch`.
  const profilersOwn = (id: number): boolean => {
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) if (nodes.get(at)!.callFrame.url.includes('cpu-profile-hook')) return true;
    return false;
  };
  const selfMs = new Map<number, number>();
  profile.samples.forEach((id, index) => selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0) / 1000));
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busyMs = 0;
  for (const [id, ms] of selfMs) {
    const { functionName, url, lineNumber } = nodes.get(id)!.callFrame;
    if (functionName === '(idle)' || profilersOwn(id)) continue;
    busyMs += ms;
    const owner = packageOf(url, functionName);
    byPackage.set(owner, (byPackage.get(owner) ?? 0) + ms);
    const name = `${functionName || '(anonymous)'} ${owner}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
  }
  return { busyMs, byPackage: top(byPackage, count), byFunction: top(byFunction, count) };
}
