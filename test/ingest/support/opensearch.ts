import type { OpenSearchClient } from '@trailscope/runtime';
import type { Config } from '@trailscope/runtime';

/** Documents in the read alias after a refresh, optionally filtered by exact field values. */
export async function countEvents(client: OpenSearchClient, config: Config, filter: Record<string, string> = {}): Promise<number> {
  await client.indices.refresh({ index: config.names.eventIndexPattern, ignore_unavailable: true, allow_no_indices: true });
  const must = Object.entries(filter).map(([field, value]) => ({ term: { [field]: value } }));
  const res = await client.count({ index: config.names.eventIndexPattern, ignore_unavailable: true, allow_no_indices: true, body: { query: { bool: { filter: must } } } });
  return Number((res.body as { count: number }).count);
}

/** Counts per `account/region` from a composite aggregation (all buckets). */
export async function countsByAccountRegion(client: OpenSearchClient, config: Config, accountField: string, regionField: string): Promise<Map<string, number>> {
  await client.indices.refresh({ index: config.names.eventIndexPattern, ignore_unavailable: true, allow_no_indices: true });
  const out = new Map<string, number>();
  let after: Record<string, unknown> | undefined;
  for (;;) {
    const res = await client.search({
      index: config.names.eventIndexPattern,
      body: {
        size: 0,
        aggs: { ar: { composite: { size: 500, sources: [{ a: { terms: { field: accountField } } }, { r: { terms: { field: regionField } } }], ...(after ? { after } : {}) } } },
      } as Record<string, unknown>,
    });
    const agg = (res.body as unknown as { aggregations: { ar: { buckets: Array<{ key: { a: string; r: string }; doc_count: number }>; after_key?: Record<string, unknown> } } }).aggregations.ar;
    for (const b of agg.buckets) out.set(`${b.key.a}/${b.key.r}`, b.doc_count);
    if (!agg.after_key || agg.buckets.length === 0) return out;
    after = agg.after_key;
  }
}
