import type { Redis } from '@trailscope/runtime';

/**
 * Per-stream tailing checkpoint: the greatest key seen under an account/kind/region folder, kept in one Redis hash
 * per bucket. The next cycle lists from the day before the checkpoint's day (see planner), so a lost checkpoint only
 * means a longer listing, never a missed file.
 */
export class CheckpointStore {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    redisPrefix: string,
    bucket: string,
  ) {
    this.key = `${redisPrefix}checkpoint:${bucket}`;
  }

  async getAll(): Promise<Map<string, string>> {
    return new Map(Object.entries(await this.redis.hgetall(this.key)));
  }

  async set(streamRoot: string, lastKey: string): Promise<void> {
    await this.redis.hset(this.key, streamRoot, lastKey);
  }
}
