import { createHash } from 'node:crypto';
import type { Redis } from '@trailscope/runtime';
import { fileIdFor, partitionIdFor, partitionOfKey, type FileRef } from './job-id';

/** Per-file done sets that nothing seals expire, so abandoned state cannot grow Redis forever. */
const DONE_TTL_SECONDS = 30 * 24 * 3600;

// KEYS: done set, seal hash, complete hash. ARGV: file id, ttl, partition id.
const MARK_DONE = `
if redis.call('HEXISTS', KEYS[3], ARGV[3]) == 1 then return 2 end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
local total = redis.call('HGET', KEYS[2], 'total')
if total and redis.call('SCARD', KEYS[1]) >= tonumber(total) then
  redis.call('HSET', KEYS[3], ARGV[3], redis.call('HGET', KEYS[2], 'digest'))
  redis.call('DEL', KEYS[1], KEYS[2])
  return 2
end
return 1`;

// KEYS: done set, seal hash, complete hash. ARGV: partition id, total, digest, ttl.
const SEAL = `
if redis.call('HGET', KEYS[3], ARGV[1]) == ARGV[3] then return 'complete' end
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
  redis.call('DEL', KEYS[1], KEYS[2])
  return 'complete'
end
redis.call('HSET', KEYS[2], 'total', ARGV[2], 'digest', ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return 'sealed'`;

/** sha256 over the sorted key/etag pairs of a partition's log files: what a completion marker vouches for. */
export function partitionDigest(files: FileRef[]): string {
  const h = createHash('sha256');
  for (const line of files.map((f) => `${f.key}\0${f.etag}\n`).sort()) h.update(line);
  return h.digest('hex').slice(0, 32);
}

/**
 * Remembers which log files are fully indexed so that re-runs skip them, in memory bounded by partitions rather than
 * files: a day folder keeps one set member per done file only until it is sealed (fully listed after its day ended)
 * and all of its files are done; then the set is replaced by one completion marker holding the digest of the
 * listing. A marker whose digest no longer matches the listing is dropped and the folder is processed again.
 * Losing all of this (a Redis without persistence restarting) only costs re-work: writes are idempotent.
 */
export class DoneTracker {
  constructor(
    private readonly redis: Redis,
    private readonly redisPrefix: string,
  ) {}

  private keys(bucket: string, partitionPrefix: string) {
    const pid = partitionIdFor(bucket, partitionPrefix);
    return {
      pid,
      done: `${this.redisPrefix}done:${pid}`,
      seal: `${this.redisPrefix}seal:${pid}`,
      complete: `${this.redisPrefix}complete`,
    };
  }

  /** Records that a file is fully indexed (every record acknowledged or dead-lettered). */
  async markDone(ref: FileRef): Promise<void> {
    const k = this.keys(ref.bucket, partitionOfKey(ref.key));
    await this.redis.eval(MARK_DONE, 3, k.done, k.seal, k.complete, fileIdFor(ref), DONE_TTL_SECONDS, k.pid);
  }

  async isDone(ref: FileRef): Promise<boolean> {
    const k = this.keys(ref.bucket, partitionOfKey(ref.key));
    const [complete, member] = await Promise.all([
      this.redis.hexists(k.complete, k.pid),
      this.redis.sismember(k.done, fileIdFor(ref)),
    ]);
    return complete === 1 || member === 1;
  }

  /**
   * Splits the complete listing of one partition into files still to do and files already done. A completion
   * marker counts only when its digest equals this listing's; otherwise it is dropped.
   */
  async filterPartition<T extends FileRef>(bucket: string, partitionPrefix: string, files: T[]): Promise<{ todo: T[]; done: number; digest: string }> {
    const k = this.keys(bucket, partitionPrefix);
    const digest = partitionDigest(files);
    const marker = await this.redis.hget(k.complete, k.pid);
    if (marker !== null) {
      if (marker === digest) return { todo: [], done: files.length, digest };
      await this.redis.hdel(k.complete, k.pid);
    }
    const todo: T[] = [];
    const chunk = 1000;
    for (let i = 0; i < files.length; i += chunk) {
      const part = files.slice(i, i + chunk);
      if (part.length === 0) continue;
      const flags = (await this.redis.call('SMISMEMBER', k.done, ...part.map(fileIdFor))) as number[];
      part.forEach((f, j) => {
        if (flags[j] !== 1) todo.push(f);
      });
    }
    return { todo, done: files.length - todo.length, digest };
  }

  /**
   * Declares a partition fully listed (its day is over, so no file can be added to it): once `total` files are done
   * the partition collapses into its completion marker.
   */
  async seal(bucket: string, partitionPrefix: string, total: number, digest: string): Promise<'complete' | 'sealed'> {
    const k = this.keys(bucket, partitionPrefix);
    return (await this.redis.eval(SEAL, 3, k.done, k.seal, k.complete, k.pid, total, digest, DONE_TTL_SECONDS)) as 'complete' | 'sealed';
  }
}
