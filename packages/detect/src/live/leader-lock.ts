import { randomBytes } from 'node:crypto';
import type { Redis } from '@trailscope/runtime';

// KEYS: lock. ARGV: token, ttl ms. Takes a free lock or extends our own.
const ACQUIRE = `
local holder = redis.call('GET', KEYS[1])
if holder == false then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0`;

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * One detector at a time per namespace, among all worker processes. Evaluation is idempotent, so two leaders for a
 * moment (a lock that expired under a stalled holder) cost work, never duplicate findings; the lock only keeps every
 * worker from repeating the same queries.
 */
export class LeaderLock {
  private readonly token = randomBytes(12).toString('hex');

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly ttlMs: number,
  ) {}

  async acquire(): Promise<boolean> {
    return (await this.redis.eval(ACQUIRE, 1, this.key, this.token, this.ttlMs)) === 1;
  }

  async release(): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key, this.token);
  }
}
