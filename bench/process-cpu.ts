/**
 * CPU time of each process of a launched stack, read from /proc (Linux): the launcher's
 * descendants, named by the service they run. Postgres counts its live backends plus what its
 * finished backends used (the postmaster's reaped children).
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux build Node runs on

interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime of the process itself, ms. */
  ownMs: number;
  /** cutime + cstime: its waited-for children, ms. */
  childrenMs: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const ticks = (index: number) => Number(fields[index - 3]);
    const ms = (value: number) => (value * 1000) / TICKS_PER_SECOND;
    return { pid, ppid: Number(fields[1]), ownMs: ms(ticks(14) + ticks(15)), childrenMs: ms(ticks(16) + ticks(17)) };
  } catch {
    return undefined; // gone meanwhile
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

function serviceName(command: string): string {
  const subgraph = /subgraphs\/(\w+)\//.exec(command);
  if (subgraph) return subgraph[1]!;
  if (/router\/src\//.test(command)) return 'router';
  if (/postgres/.test(command)) return 'postgres';
  if (/devstack\/src\/(cli|run-stack)/.test(command)) return 'launcher';
  return 'other';
}

/** A live Postgres backend's database (its title is `postgres: <user> <database> <client> <state>`), or its role (checkpointer, …). */
function backendOf(command: string): string {
  const title = /^postgres: (.*)$/.exec(command.trim())?.[1]?.split(' ') ?? [];
  return (title.length >= 3 ? title[1] : title.join(' ')) || 'postmaster';
}

/**
 * CPU ms used so far by each service of the stack the launcher `rootPid` runs, the pid of each Node
 * service, and Postgres's share by database of its live backends (`ended` for finished ones).
 */
export function stackCpu(rootPid: number): { cpuMs: Map<string, number>; pids: Map<number, string>; postgresMs: Map<string, number> } {
  const stats = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map((entry) => readStat(Number(entry)))
    .filter((stat): stat is ProcStat => stat !== undefined);
  const children = new Map<number, ProcStat[]>();
  for (const stat of stats) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat]);
  const cpuMs = new Map<string, number>();
  const pids = new Map<number, string>();
  const postgresMs = new Map<string, number>();
  const add = (map: Map<string, number>, name: string, ms: number) => map.set(name, (map.get(name) ?? 0) + ms);
  const visit = (stat: ProcStat, inherited?: string) => {
    const name = inherited ?? serviceName(commandLine(stat.pid));
    if (name !== 'postgres' && name !== 'other') pids.set(stat.pid, name);
    // Reaped children count for postgres (its backends come and go), not for the launcher (its children are the services, counted themselves).
    const ended = name === 'postgres' && inherited === undefined ? stat.childrenMs : 0;
    add(cpuMs, name, stat.ownMs + ended);
    if (name === 'postgres') {
      add(postgresMs, backendOf(commandLine(stat.pid)), stat.ownMs);
      add(postgresMs, 'ended', ended);
    }
    for (const child of children.get(stat.pid) ?? []) visit(child, name === 'postgres' ? 'postgres' : undefined);
  };
  const root = stats.find((stat) => stat.pid === rootPid);
  if (root) visit(root);
  return { cpuMs, pids, postgresMs };
}

/** CPU ms per service between two readings. */
export function cpuBetween(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  return new Map([...after].map(([name, ms]) => [name, ms - (before.get(name) ?? 0)]));
}
