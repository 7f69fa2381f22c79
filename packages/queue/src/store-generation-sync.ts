import { scanKeys, type Redis } from '@trailscope/runtime';
import type { IngestQueue } from './ingest-queue';

/**
 * Makes Redis's record of indexed files agree with the event store it describes. Redis and OpenSearch can part ways:
 * OpenSearch wiped or replaced while Redis lives on (or one Redis shared by successive clusters). Done markers and
 * completed jobs of an older store would then make every re-run skip files whose events no longer exist anywhere.
 * When the store's generation differs from the one recorded, both are dropped; re-listing and idempotent writes do
 * the rest. Returns true when it reset.
 */
export async function syncStoreGeneration(
  deps: { redis: Redis; queue: IngestQueue; redisPrefix: string },
  generation: string,
): Promise<boolean> {
  const { redis, queue, redisPrefix } = deps;
  const key = `${redisPrefix}store-generation`;
  const recorded = await redis.get(key);
  if (recorded === generation) return false;
  for (const pattern of [`${redisPrefix}done:*`, `${redisPrefix}seal:*`]) {
    // one page's keys share the prefix's hash tag on a cluster, so one DEL may take them all
    for await (const keys of scanKeys(redis, pattern)) await redis.del(...keys);
  }
  await redis.del(`${redisPrefix}complete`);
  // a completed job keeps its id for a while, and the producer does not re-add an id that exists
  await queue.clean(0, 0, 'completed');
  await redis.set(key, generation);
  return recorded !== null;
}
