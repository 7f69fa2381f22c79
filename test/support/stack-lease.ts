/**
 * Several jest runs may share one checkout's test stack (developers run suites side by side). Each run holds a
 * lease while its tests run; the last run to leave stops the stack, and only when a harness started it (a stack
 * started by hand or by .ci/run is left alone).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const leaseDir = (stackDir: string) => path.join(stackDir, 'run', 'harness-leases');
const startedMarker = (stackDir: string) => path.join(stackDir, 'run', 'harness-started');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function takeLease(stackDir: string): void {
  fs.mkdirSync(leaseDir(stackDir), { recursive: true });
  fs.writeFileSync(path.join(leaseDir(stackDir), String(process.pid)), `${new Date().toISOString()}\n`);
}

export function markStartedByHarness(stackDir: string): void {
  fs.mkdirSync(path.dirname(startedMarker(stackDir)), { recursive: true });
  fs.writeFileSync(startedMarker(stackDir), `${process.pid}\n`);
}

/** Drops our lease; true when the caller should stop the stack (no other live run, and a harness started it). */
export function releaseLease(stackDir: string): boolean {
  fs.rmSync(path.join(leaseDir(stackDir), String(process.pid)), { force: true });
  let others: string[] = [];
  try {
    others = fs.readdirSync(leaseDir(stackDir)).filter((name) => /^\d+$/.test(name) && alive(Number(name)));
  } catch {
    // no lease directory: nobody else
  }
  if (others.length > 0 || !fs.existsSync(startedMarker(stackDir))) return false;
  fs.rmSync(startedMarker(stackDir), { force: true });
  return true;
}
