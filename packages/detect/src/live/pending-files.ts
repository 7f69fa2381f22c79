import type { Redis } from '@trailscope/runtime';

export interface PendingFile {
  bucket: string;
  key: string;
  /** false: the file came from a backfill without `--alert`; its findings are recorded, not alerted. */
  alert?: boolean;
}

/**
 * Log files indexed since detection last looked at them, in Redis: a worker adds a file after all of its events are
 * acknowledged and before it records the file as done, so a crash in between replays the file and adds it again
 * (a set: once). The detector removes files only after their findings are written. Losing this set (a Redis without
 * persistence) loses the done markers with it, so the files are ingested, and added, again.
 */
export class PendingFiles {
  readonly key: string;

  constructor(
    private readonly redis: Redis,
    redisPrefix: string,
  ) {
    this.key = `${redisPrefix}detect:pending`;
  }

  async add(file: PendingFile, nowMs = Date.now()): Promise<void> {
    // NX keeps the first time a file was added: the oldest files are evaluated first
    // a live file keeps the two-element member it always had, so files pending across an upgrade still alert
    await this.redis.zadd(this.key, 'NX', nowMs, JSON.stringify(file.alert === false ? [file.bucket, file.key, 0] : [file.bucket, file.key]));
  }

  /** The oldest `limit` files, as members (for remove) and files. */
  async take(limit: number): Promise<Array<{ member: string; file: PendingFile }>> {
    const members = await this.redis.zrange(this.key, 0, limit - 1);
    return members.flatMap((member: string) => {
      try {
        const [bucket, key, alert] = JSON.parse(member) as [unknown, unknown, unknown];
        if (typeof bucket === 'string' && typeof key === 'string') return [{ member, file: { bucket, key, alert: alert !== 0 } }];
      } catch {
        // not ours: dropped below by the caller's remove of what it took
      }
      return [{ member, file: { bucket: '', key: '' } }];
    });
  }

  async remove(members: string[]): Promise<void> {
    if (members.length > 0) await this.redis.zrem(this.key, ...members);
  }

  async size(): Promise<number> {
    return this.redis.zcard(this.key);
  }
}

/** Events created by these files (a replayed event keeps the file that created it, which was added too). */
export function filesFilter(files: PendingFile[]): object {
  const byBucket = new Map<string, string[]>();
  for (const f of files) {
    if (!f.bucket) continue;
    byBucket.set(f.bucket, [...(byBucket.get(f.bucket) ?? []), f.key]);
  }
  const clauses = [...byBucket].map(([bucket, keys]) => ({ bool: { filter: [{ term: { 'ingest.bucket': bucket } }, { terms: { 'ingest.key': keys } }] } }));
  if (clauses.length === 0) return { bool: { must_not: [{ match_all: {} }] } };
  return clauses.length === 1 ? (clauses[0] as object) : { bool: { should: clauses, minimum_should_match: 1 } };
}
