import type { OpenSearchClient } from '@trailscope/runtime';

/** Parts of a Lucene index, by the files that hold them. OpenSearch 2.19 has no `_disk_usage` API. */
export const INDEX_PARTS = [
  { id: 'stored', label: 'stored fields (_source with the raw text, _id)', extensions: ['fdt', 'fdx', 'fdm'] },
  { id: 'docValues', label: 'doc values (sort, aggregations, _seq_no, _version)', extensions: ['dvd', 'dvm'] },
  { id: 'terms', label: 'terms dictionaries (keyword, text and flat_object terms, _id)', extensions: ['tim', 'tip', 'tmd'] },
  { id: 'postings', label: 'postings and positions', extensions: ['doc', 'pos', 'pay'] },
  { id: 'points', label: 'points (dates, IP addresses)', extensions: ['kdd', 'kdi', 'kdm'] },
  { id: 'norms', label: 'norms (text field lengths for scoring)', extensions: ['nvd', 'nvm'] },
] as const;

export type IndexPartId = (typeof INDEX_PARTS)[number]['id'] | 'other';

/**
 * Bytes per part of the primaries of the indices matching `pattern`, from the index stats API's per-file-extension
 * segment sizes (`include_segment_file_sizes`). Files of no listed part (segment and field infos, term vectors,
 * compound-file headers) are `other`.
 */
export async function indexPartBytes(client: OpenSearchClient, pattern: string): Promise<Record<IndexPartId, number>> {
  const res = await client.transport.request({
    method: 'GET',
    path: `/${encodeURIComponent(pattern)}/_stats/segments`,
    querystring: { include_segment_file_sizes: 'true', level: 'indices' },
  });
  const sizes = (res.body as { _all: { primaries: { segments: { file_sizes?: Record<string, { size_in_bytes: number }> } } } })._all.primaries.segments.file_sizes ?? {};
  const out = { other: 0 } as Record<IndexPartId, number>;
  for (const p of INDEX_PARTS) out[p.id] = 0;
  for (const [ext, { size_in_bytes }] of Object.entries(sizes)) {
    const part = INDEX_PARTS.find((p) => (p.extensions as readonly string[]).includes(ext));
    out[part ? part.id : 'other'] += size_in_bytes;
  }
  return out;
}
