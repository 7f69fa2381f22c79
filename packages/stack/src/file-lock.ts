import * as fs from 'node:fs';
import * as path from 'node:path';
import * as lockfile from 'proper-lockfile';
import type { Logger } from '@trailscope/runtime';

export interface FileLockOptions {
  /** Directory the lock file lives in (created when missing). */
  dir: string;
  /** Lock file name without the `.lock` suffix. */
  name: string;
  logger: Logger;
  /** How long to wait for another holder before giving up, in milliseconds. */
  waitMs: number;
  /** Pause between two attempts, in milliseconds. */
  retryIntervalMs?: number;
}

/**
 * Runs `fn` while holding `<dir>/<name>.lock`, across processes. A holder that dies leaves a lock that goes stale
 * after 30 s (the lock's mtime is refreshed every 5 s while held), so a crashed `stack up` never blocks the next.
 */
export async function withFileLock<T>(options: FileLockOptions, fn: () => Promise<T>): Promise<T> {
  const { dir, name, logger } = options;
  const retryIntervalMs = options.retryIntervalMs ?? 1000;
  fs.mkdirSync(dir, { recursive: true });
  const lockfilePath = path.join(dir, `${name}.lock`);
  const release = await lockfile.lock(dir, {
    lockfilePath,
    realpath: false,
    stale: 30000,
    update: 5000,
    retries: { retries: Math.ceil(options.waitMs / retryIntervalMs), minTimeout: retryIntervalMs, maxTimeout: retryIntervalMs },
    onCompromised: (err) => logger.warn({ err, lock: lockfilePath }, 'lock was taken over'),
  });
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}
