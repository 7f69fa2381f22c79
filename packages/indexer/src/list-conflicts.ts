import type { Config, OpenSearchClient } from '@trailscope/runtime';
import type { ConflictDoc } from './conflicts-index';
import { errorFacts, toOpenSearchError } from '@trailscope/runtime';

const PAGE_SIZE = 500;

/**
 * Every conflicting copy recorded, newest first, page by page (search_after on the time and the entry id), at most
 * `limit`; nothing when setup has not created the index yet.
 */
export async function* listConflicts(
  client: OpenSearchClient,
  config: Pick<Config, 'names'>,
  options: { limit?: number } = {},
): AsyncGenerator<ConflictDoc> {
  const index = config.names.conflictsIndex;
  let left = options.limit ?? Number.POSITIVE_INFINITY;
  let after: unknown[] | undefined;
  while (left > 0) {
    let hits: Array<{ _source: ConflictDoc; sort: unknown[] }>;
    try {
      const res = await client.transport.request({
        method: 'POST',
        path: `/${encodeURIComponent(index)}/_search`,
        body: {
          size: Math.min(PAGE_SIZE, left),
          sort: [{ at: { order: 'desc' } }, { id: { order: 'desc' } }],
          query: { match_all: {} },
          ...(after ? { search_after: after } : {}),
        },
      });
      hits = (res.body as { hits: { hits: typeof hits } }).hits.hits;
    } catch (err) {
      if (errorFacts(err).statusCode === 404) return;
      throw toOpenSearchError(err, `listing ${index}`);
    }
    for (const h of hits) yield h._source;
    left -= hits.length;
    if (hits.length < PAGE_SIZE) return;
    after = hits[hits.length - 1]?.sort;
  }
}

/** How many conflicting copies are recorded (0 before setup). */
export async function countConflicts(client: OpenSearchClient, config: Pick<Config, 'names'>): Promise<number> {
  const index = config.names.conflictsIndex;
  try {
    const res = await client.transport.request({ method: 'POST', path: `/${encodeURIComponent(index)}/_count`, body: { query: { match_all: {} } } });
    return Number((res.body as { count: number }).count);
  } catch (err) {
    if (errorFacts(err).statusCode === 404) return 0;
    throw toOpenSearchError(err, `counting ${index}`);
  }
}
