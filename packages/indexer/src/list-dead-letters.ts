import type { Config, OpenSearchClient } from '@trailscope/runtime';
import type { DeadLetterDoc } from './dead-letter-index';
import { errorFacts, toOpenSearchError } from '@trailscope/runtime';

export interface DeadLetterListing {
  /** Dead-lettered records in the index (all of them, not only those returned). */
  total: number;
  entries: DeadLetterDoc[];
}

/** The most recent dead-lettered records, newest first; empty when setup has not created the index. */
export async function listDeadLetters(
  client: OpenSearchClient,
  config: Pick<Config, 'names'>,
  options: { limit?: number } = {},
): Promise<DeadLetterListing> {
  const index = config.names.deadLetterIndex;
  try {
    const res = await client.transport.request({
      method: 'POST',
      path: `/${encodeURIComponent(index)}/_search`,
      body: {
        size: options.limit ?? 100,
        track_total_hits: true,
        sort: [{ at: { order: 'desc' } }],
        query: { match_all: {} },
      },
    });
    const hits = (res.body as { hits: { total: { value: number }; hits: Array<{ _source: DeadLetterDoc }> } }).hits;
    return { total: hits.total.value, entries: hits.hits.map((h) => h._source) };
  } catch (err) {
    if (errorFacts(err).statusCode === 404) return { total: 0, entries: [] };
    throw toOpenSearchError(err, `listing ${index}`);
  }
}
