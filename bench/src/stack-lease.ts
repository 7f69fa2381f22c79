/**
 * Several bench runs of one checkout may share its stack (bench/.data/stack): each holds a lease while it runs, and
 * the last one to leave stops the stack, only when a bench run started it (a stack already running is left alone).
 * Without this, one run's `stack down` stopped OpenSearch under another run's measurements.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const leaseDir = (stackDir: string) => path.join(stackDir, 'run', 'bench-leases');
const startedMarker = (stackDir: string) => path.join(stackDir, 'run', 'bench-started');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function otherLeaseHolders(stackDir: string): number[] {
  try {
    return fs
      .readdirSync(leaseDir(stackDir))
      .filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)
      .map(Number)
      .filter(alive);
  } catch {
    return [];
  }
}

export function takeLease(stackDir: string): void {
  fs.mkdirSync(leaseDir(stackDir), { recursive: true });
  fs.writeFileSync(path.join(leaseDir(stackDir), String(process.pid)), `${new Date().toISOString()}\n`);
}

export function markStartedByBench(stackDir: string): void {
  fs.mkdirSync(path.dirname(startedMarker(stackDir)), { recursive: true });
  fs.writeFileSync(startedMarker(stackDir), `${process.pid}\n`);
}

/** Drops our lease; true when the caller should stop the stack (no other live run, and a bench run started it). */
export function releaseLease(stackDir: string): boolean {
  fs.rmSync(path.join(leaseDir(stackDir), String(process.pid)), { force: true });
  if (otherLeaseHolders(stackDir).length > 0 || !fs.existsSync(startedMarker(stackDir))) return false;
  fs.rmSync(startedMarker(stackDir), { force: true });
  return true;
}
