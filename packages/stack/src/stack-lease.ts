import * as fs from 'node:fs';
import * as path from 'node:path';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Several runs of one kind (jest runs, bench runs) may share one checkout's stack. Each run holds a lease while it
 * works; the last run to leave stops the stack, and only when a run of that kind started it (a stack started by hand
 * or by .ci/run is left alone). Without this, one run's `stack down` stopped OpenSearch under another run.
 */
export function stackLease(stackDir: string, holder: string) {
  const leaseDir = path.join(stackDir, 'run', `${holder}-leases`);
  const startedMarker = path.join(stackDir, 'run', `${holder}-started`);
  const otherHolders = (): number[] => {
    try {
      return fs
        .readdirSync(leaseDir)
        .filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)
        .map(Number)
        .filter(alive);
    } catch {
      return [];
    }
  };
  return {
    take(): void {
      fs.mkdirSync(leaseDir, { recursive: true });
      fs.writeFileSync(path.join(leaseDir, String(process.pid)), `${new Date().toISOString()}\n`);
    },
    markStarted(): void {
      fs.mkdirSync(path.dirname(startedMarker), { recursive: true });
      fs.writeFileSync(startedMarker, `${process.pid}\n`);
    },
    /** Live runs other than this one holding a lease. */
    otherHolders,
    /** Drops our lease; true when the caller should stop the stack (no other live run, and a run of ours started it). */
    release(): boolean {
      fs.rmSync(path.join(leaseDir, String(process.pid)), { force: true });
      if (otherHolders().length > 0 || !fs.existsSync(startedMarker)) return false;
      fs.rmSync(startedMarker, { force: true });
      return true;
    },
  };
}
