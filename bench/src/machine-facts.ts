import * as os from 'node:os';
import { readFileSync } from 'node:fs';

export interface MachineFacts {
  cpuModel: string;
  cpuCount: number;
  /** CPUs this process may run on (cgroup limits can make it fewer than cpuCount). */
  availableParallelism: number;
  memoryBytes: number;
  os: string;
  node: string;
  opensearchVersion?: string;
  opensearchNodes?: number;
  opensearchHeap?: string;
  redisVersion?: string;
  s3?: string;
  loadAverageAtStart: number[];
}

function cpuModel(): string {
  const fromOs = os.cpus()[0]?.model?.trim();
  if (fromOs && fromOs !== 'unknown') return fromOs;
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1]) return m[1].trim();
  } catch {
    // not Linux: os.cpus() is all there is
  }
  return 'unknown';
}

export function localMachineFacts(): MachineFacts {
  return {
    cpuModel: cpuModel(),
    cpuCount: os.cpus().length,
    availableParallelism: os.availableParallelism(),
    memoryBytes: os.totalmem(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}
