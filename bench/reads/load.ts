/** One round of load on one target with autocannon, and the CPU each measured process spent on it. */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

export interface Target {
  name: string;
  url: string;
  /** Headers for this round (built per round: a direct subgraph call carries a fresh signature). */
  headers(): Record<string, string>;
}

export interface Round {
  requests: number;
  requestsPerSecond: number;
  latencies: number[];
  failures: number;
  /** CPU milliseconds per process over the round. */
  cpuMs: Record<string, number>;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** User + system CPU time a process has used so far, in milliseconds (/proc/<pid>/stat). */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name, which may itself contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

export async function runRound(target: Target, body: string, expectBody: string, options: { connections: number; seconds: number }, pids: Record<string, number>): Promise<Round> {
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuMsOf(pid)]));
  const latencies: number[] = [];
  const instance = autocannon({
    url: target.url,
    method: 'POST',
    connections: options.connections,
    duration: options.seconds,
    headers: { 'content-type': 'application/json', ...target.headers() },
    body,
    expectBody,
  });
  instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  const result = await instance;
  const cpuMs = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuMsOf(pid) - before[name]!]));
  return {
    requests: result.requests.total,
    requestsPerSecond: result.requests.total / result.duration,
    latencies,
    failures: result.errors + result.timeouts + result.mismatches + result.non2xx,
    cpuMs,
  };
}
