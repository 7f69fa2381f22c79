import type { Config, OpenSearchClient, Redis } from '@trailscope/runtime';

/** Deletes everything a benchmark namespace created in OpenSearch: indices (with their aliases) and templates. */
export async function deleteNamespaceIndices(client: OpenSearchClient, namespace: string): Promise<void> {
  await client.indices.delete({ index: `${namespace}-*`, expand_wildcards: 'all', ignore_unavailable: true }).catch(() => undefined);
  const templates = await client.indices.getIndexTemplate({ name: `${namespace}-*` }).catch(() => undefined);
  for (const t of (templates?.body as { index_templates?: Array<{ name: string }> } | undefined)?.index_templates ?? []) {
    await client.indices.deleteIndexTemplate({ name: t.name }).catch(() => undefined);
  }
}

/** Deletes a namespace's Redis keys: its BullMQ queue and its own prefix (checkpoints, done-tracking). */
export async function deleteNamespaceKeys(redis: Redis, config: Config): Promise<number> {
  let deleted = 0;
  for (const pattern of [`bull:${config.names.ingestQueue}:*`, `${config.names.redisPrefix}*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  }
  return deleted;
}

/** Documents searchable through a namespace's read pattern, after a refresh. */
export async function countEvents(client: OpenSearchClient, config: Config): Promise<number> {
  const pattern = config.names.eventIndexPattern;
  await client.indices.refresh({ index: pattern, expand_wildcards: 'all', ignore_unavailable: true });
  const res = await client.count({ index: pattern, expand_wildcards: 'open' });
  return (res.body as { count: number }).count;
}

/** Primary store size and document count of a namespace's event indices. */
export async function eventIndexStats(client: OpenSearchClient, config: Config): Promise<{ storeBytes: number; docs: number; segments: number; indices: number }> {
  const res = await client.indices.stats({ index: config.names.eventIndexPattern, metric: ['store', 'docs', 'segments'] });
  const body = res.body as {
    _all: { primaries: { store: { size_in_bytes: number }; docs: { count: number }; segments: { count: number } } };
    indices: Record<string, unknown>;
  };
  return {
    storeBytes: body._all.primaries.store.size_in_bytes,
    docs: body._all.primaries.docs.count,
    segments: body._all.primaries.segments.count,
    indices: Object.keys(body.indices).length,
  };
}

/** Waits until no merge runs on a namespace's event indices (after an ingest, merges go on for a while). */
export async function waitForMerges(client: OpenSearchClient, config: Config, timeoutMs = 180_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await client.indices.stats({ index: config.names.eventIndexPattern, metric: ['merge'] });
    const current = (res.body as { _all: { total: { merges?: { current?: number } } } })._all.total.merges?.current ?? 0;
    if (current === 0) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Bytes of the live segments of the primaries, from the segments API (not cached like the store statistics). */
export async function liveSegmentBytes(client: OpenSearchClient, config: Config): Promise<{ bytes: number; segments: number }> {
  const res = await client.indices.segments({ index: config.names.eventIndexPattern });
  type Shard = { routing: { primary: boolean }; segments: Record<string, { size_in_bytes: number; search: boolean }> };
  const indices = (res.body as { indices: Record<string, { shards: Record<string, Shard[]> }> }).indices;
  let bytes = 0;
  let segments = 0;
  for (const index of Object.values(indices)) {
    for (const copies of Object.values(index.shards)) {
      for (const shard of copies) {
        if (!shard.routing.primary) continue;
        for (const seg of Object.values(shard.segments)) {
          bytes += seg.size_in_bytes;
          segments += 1;
        }
      }
    }
  }
  return { bytes, segments };
}

/**
 * The primaries' store size once it stops changing: OpenSearch caches store statistics for
 * index.store.stats_refresh_interval (10 s by default), so a reading right after a merge can be stale.
 */
export async function settledStoreBytes(client: OpenSearchClient, config: Config, timeoutMs = 120_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = (await eventIndexStats(client, config)).storeBytes;
  for (;;) {
    await new Promise((r) => setTimeout(r, 11_000));
    const now = (await eventIndexStats(client, config)).storeBytes;
    if (now === last || Date.now() > deadline) return now;
    last = now;
  }
}
