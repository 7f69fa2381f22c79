import { readFileSync } from 'node:fs';

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
    const m = readProcMemory(this.pid);
    if (!m) return;
    this.lastRssBytes = m.rssBytes;
    this.cpuSeconds = readProcCpuSeconds(this.pid) ?? this.cpuSeconds;
    this.peakBytes = Math.max(this.peakBytes, m.hwmBytes, m.rssBytes);
  }

  stop(): number {
    this.sample();
    if (this.timer) clearInterval(this.timer);
    return this.peakBytes;
  }
}
