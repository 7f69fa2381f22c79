import { readFileSync, readdirSync } from 'node:fs';

/** Resident set figures of one process from /proc/<pid>/status, in bytes; undefined once the process is gone. */
export function readProcMemory(pid: number): { rssBytes: number; hwmBytes: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (field: string): number => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : 0;
  };
  return { rssBytes: kb('VmRSS'), hwmBytes: kb('VmHWM') };
}

/** CPU time (user + system) a process has used so far, in seconds; undefined once it is gone. */
export function readProcCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the command name, which may itself hold spaces and parentheses
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[11]) + Number(rest[12]);
    return ticks / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** USER_HZ: 100 on every mainstream Linux build. */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * Tracks the peak RSS of a child process. VmHWM is the kernel's own high-water mark, so short peaks between samples
 * are not missed; sampling only keeps the last value readable after the process has exited.
 */
export class PeakRssSampler {
  private timer: NodeJS.Timeout | undefined;
  peakBytes = 0;
  lastRssBytes = 0;
  /** CPU seconds used, as of the last sample. */
  cpuSeconds = 0;
  private readonly hwmByPid = new Map<number, number>();
  private readonly cpuByPid = new Map<number, number>();

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 100,
  ) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  sample(): void {
    // The process and its descendants: `trailscope worker` runs its work in a child with a capped heap, and what an
    // operator pays for is the whole tree. Each process keeps its last known figures after it exits.
    const tree = [this.pid, ...descendantsOf(this.pid)];
    let rss = 0;
    for (const pid of tree) {
      const m = readProcMemory(pid);
      if (!m) continue;
      rss += m.rssBytes;
      this.hwmByPid.set(pid, Math.max(this.hwmByPid.get(pid) ?? 0, m.hwmBytes, m.rssBytes));
      this.cpuByPid.set(pid, readProcCpuSeconds(pid) ?? this.cpuByPid.get(pid) ?? 0);
    }
    if (rss === 0) return;
    this.lastRssBytes = rss;
    this.cpuSeconds = [...this.cpuByPid.values()].reduce((a, b) => a + b, 0);
    // The sum of each process's own high-water mark: never below the tree's true peak (the peaks may not coincide).
    this.peakBytes = Math.max(this.peakBytes, [...this.hwmByPid.values()].reduce((a, b) => a + b, 0));
  }

  stop(): number {
    this.sample();
    if (this.timer) clearInterval(this.timer);
    return this.peakBytes;
  }
}

/** Every live descendant of a process, from /proc (children lists where the kernel has them, else parent ids). */
export function descendantsOf(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parentOf.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const frontier = [root];
  while (frontier.length > 0) {
    const p = frontier.pop() as number;
    for (const [pid, ppid] of parentOf) {
      if (ppid === p) {
        out.push(pid);
        frontier.push(pid);
      }
    }
  }
  return out;
}
