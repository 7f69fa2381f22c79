import type { Config } from '@trailscope/runtime';

/** A record OpenSearch or the parser refused, kept with why and where it came from. */
export interface DeadLetterEntry {
  raw: string;
  code: string;
  reason: string;
  bucket: string;
  key: string;
  etag: string;
}

export interface DeadLetterDoc extends DeadLetterEntry {
  /** When it was dead-lettered (ISO-8601). */
  at: string;
}

/**
 * The body of an index of records kept aside (dead-lettered, conflicting): one shard, compressed, `raw` kept in
 * _source only (any length), the given fields filterable.
 */
export function keptRecordsIndexBody(config: Pick<Config, 'index'>, properties: Record<string, unknown>): Record<string, unknown> {
  return {
    settings: { index: { number_of_shards: 1, number_of_replicas: config.index.replicas, codec: 'best_compression' } },
    mappings: {
      dynamic: false,
      _meta: { managed_by: 'trailscope' },
      properties: { raw: { type: 'keyword', index: false, doc_values: false }, ...properties },
    },
  };
}

export function deadLetterIndexBody(config: Pick<Config, 'index'>): Record<string, unknown> {
  return keptRecordsIndexBody(config, {
    code: { type: 'keyword' },
    reason: { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 1024 } } },
    bucket: { type: 'keyword' },
    key: { type: 'keyword', ignore_above: 1024 },
    etag: { type: 'keyword' },
    at: { type: 'date' },
  });
}
