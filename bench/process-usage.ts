// CPU time and memory of a process and its descendants (a gateway's cluster workers), read from
// /proc (Linux), counted only while that process's target is being measured.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux
const PAGE_BYTES = 4096;

interface Stat {
  ppid: number;
  /** utime + stime, in ms. */
  cpuMs: number;
  rssBytes: number;
}

function stat(pid: number): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return {
      ppid: Number(fields[1]),
      cpuMs: (ticks * 1000) / TICKS_PER_SECOND,
      rssBytes: Number(fields[21]) * PAGE_BYTES,
    };
  } catch {
    return undefined;
  }
}

/** `pid` and every process below it. */
function tree(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const child = Number(entry);
    if (!Number.isInteger(child)) continue;
    const parent = stat(child)?.ppid;
    if (parent !== undefined) parents.set(parent, [...(parents.get(parent) ?? []), child]);
  }
  const found = [pid];
  for (let i = 0; i < found.length; i++) found.push(...(parents.get(found[i] ?? -1) ?? []));
  return found;
}

const total = (pids: number[]) =>
  pids.reduce(
    (sum, pid) => {
      const current = stat(pid);
      return current ? { cpuMs: sum.cpuMs + current.cpuMs, rssBytes: sum.rssBytes + current.rssBytes } : sum;
    },
    { cpuMs: 0, rssBytes: 0 },
  );

/** The usage of one target's processes over its measured turns: CPU summed, RSS at its peak. */
export class ProcessUsage {
  cpuMs = 0;
  peakRssBytes = 0;

  constructor(private readonly pid: number) {}

  /** Starts counting; the function returned stops. RSS is sampled every 200 ms meanwhile. */
  readonly turn = (): (() => void) => {
    const pids = tree(this.pid);
    const before = total(pids).cpuMs;
    const sample = () => {
      this.peakRssBytes = Math.max(this.peakRssBytes, total(pids).rssBytes);
    };
    const timer = setInterval(sample, 200);
    return () => {
      clearInterval(timer);
      sample();
      this.cpuMs += total(pids).cpuMs - before;
    };
  };
}
