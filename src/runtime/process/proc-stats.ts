import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second for /proc CPU times (sysconf(_SC_CLK_TCK)); 100 on every Linux kitt targets. */
export const CLOCK_TICKS_PER_SECOND = 100;

/** What /proc says about one process: CPU time, resident memory, threads, group. */
export interface ProcReading {
  readonly pid: number;
  readonly processGroup: number;
  /** utime + stime in clock ticks. */
  readonly cpuTicks: number;
  readonly startTime: string;
  readonly rssBytes: number;
  readonly threads: number;
}

/**
 * Parses /proc/<pid>/stat and the VmRSS/Threads lines of /proc/<pid>/status. Fields are counted
 * after the last ')' because the command name (field 2) may contain spaces and parentheses:
 * field 5 is the process group, 14 utime, 15 stime, 20 threads, 22 start time.
 */
export function parseProcStat(pid: number, stat: string, status: string): ProcReading {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const field = (n: number) => fields[n - 3] ?? '0';
  const rssKb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  return {
    pid,
    processGroup: Number(field(5)),
    cpuTicks: Number(field(14)) + Number(field(15)),
    startTime: field(22),
    rssBytes: rssKb ? Number(rssKb) * 1024 : 0,
    threads: Number(field(20)),
  };
}

export function readProc(pid: number): ProcReading | undefined {
  try {
    return parseProcStat(pid, readFileSync(`/proc/${pid}/stat`, 'utf8'), readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return undefined; // gone between listing and reading
  }
}

/** Every live process of a process group (an engine and the workers it forked). */
export function readProcessGroup(processGroup: number): ProcReading[] {
  const readings: ProcReading[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const reading = readProc(Number(name));
    if (reading && reading.processGroup === processGroup) readings.push(reading);
  }
  return readings;
}
