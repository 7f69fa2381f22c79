import { storeGenerationOf } from '@trailscope/indexer';
import { createIngestQueue, syncStoreGeneration } from '@trailscope/queue';
import type { Config, Logger, OpenSearchClient, Redis } from '@trailscope/runtime';

/**
 * Drops Redis's memory of indexed files when it belongs to an event store that no longer exists (see
 * syncStoreGeneration). Needs the templates installed: the generation is read from the dead-letter index.
 */
export async function syncIngestState(deps: { opensearch: OpenSearchClient; redis: Redis; config: Config; logger: Logger }): Promise<void> {
  const { config, logger } = deps;
  const generation = await storeGenerationOf(deps.opensearch, config);
  const queue = createIngestQueue(config, deps.redis);
  try {
    if (await syncStoreGeneration({ redis: deps.redis, queue, redisPrefix: config.names.redisPrefix }, generation)) {
      logger.warn({ namespace: config.namespace, generation }, 'event store was created afresh: forgot which files Redis recorded as indexed, they will be ingested again');
    }
  } finally {
    await queue.close();
  }
}
