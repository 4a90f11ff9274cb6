/**
 * CPU time per thread of a process, from /proc (Linux): how the benchmarks tell the main thread's
 * share from the writer thread's and the garbage collector's. Elsewhere the figures are null.
 */
import fs from 'node:fs';
import path from 'node:path';

/** USER_HZ: /proc counts CPU time in ticks of 1/100 s on Linux. */
const MS_PER_TICK = 10;

/** CPU milliseconds used so far by each thread of `pid`, by thread id; undefined where /proc is missing. */
export function threadCpuMs(pid: number | 'self'): Map<number, number> | undefined {
  const dir = `/proc/${pid}/task`;
  if (!fs.existsSync(dir)) return undefined;
  const cpu = new Map<number, number>();
  for (const tid of fs.readdirSync(dir)) {
    try {
      const stat = fs.readFileSync(path.join(dir, tid, 'stat'), 'utf8');
      // Fields after the command name, which may itself hold spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      cpu.set(Number(tid), (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK);
    } catch {
      // The thread ended between listing and reading.
    }
  }
  return cpu;
}

export interface CpuSplit {
  /** CPU ms of the main thread (whose id is the process id) and of all the others together. */
  readonly mainMs: number;
  readonly othersMs: number;
}

/** The CPU time used between two readings of process `pid`; null if either reading failed. */
export function cpuBetween(before: Map<number, number> | undefined, after: Map<number, number> | undefined, pid: number): CpuSplit | null {
  if (!before || !after) return null;
  let mainMs = 0;
  let othersMs = 0;
  for (const [tid, ms] of after) {
    const used = ms - (before.get(tid) ?? 0);
    if (tid === pid) mainMs += used;
    else othersMs += used;
  }
  return { mainMs, othersMs };
}

/** Microseconds per unit (request or event), one decimal; null when unknown. */
export const usPer = (ms: number | undefined, units: number): number | null =>
  ms === undefined || units <= 0 ? null : Math.round((ms * 10_000) / units) / 10;
