import type { Names } from '@trailscope/model';
import { toOpenSearchError, type OpenSearchClient } from '@trailscope/runtime';

export interface EventHit {
  _id: string;
  _source: Record<string, unknown>;
  sort?: unknown[];
  /** The names of the named queries the hit matches. */
  matched_queries?: string[];
}

export interface StreamOptions {
  /** `_source` filtering: field names to include, or true for the whole document (the raw record with it). */
  source: string[] | true;
  pageSize?: number;
  signal?: AbortSignal;
}

const KEEP_ALIVE = '5m';

/**
 * Every event matching `query`, oldest first (eventTime, then id), one page at a time. A point in time pins the
 * snapshot so that paging neither skips nor repeats events while ingestion goes on; memory holds one page.
 */
export async function* streamEvents(
  client: OpenSearchClient,
  names: Pick<Names, 'eventsAlias'>,
  query: object,
  options: StreamOptions,
): AsyncGenerator<EventHit[]> {
  const index = names.eventsAlias;
  const pageSize = options.pageSize ?? 1000;
  let pitId: string | undefined;
  try {
    const res = await client.createPit({ index: [index], keep_alive: KEEP_ALIVE, allow_partial_pit_creation: false });
    pitId = res.body.pit_id;
  } catch {
    // no event index yet: nothing to stream (an unreachable cluster fails the search below)
  }
  try {
    let after: unknown[] | undefined;
    for (;;) {
      if (options.signal?.aborted) return;
      const body: Record<string, unknown> = {
        query,
        size: pageSize,
        sort: [{ eventTime: { order: 'asc' } }, { id: { order: 'asc' } }],
        track_total_hits: false,
        _source: options.source === true ? true : { includes: options.source },
      };
      if (after) body.search_after = after;
      let hits: EventHit[];
      try {
        const res = pitId
          ? await client.search({ body: { ...body, pit: { id: pitId, keep_alive: KEEP_ALIVE } } as never })
          : await client.search({ index, body: body as never, ignore_unavailable: true, allow_no_indices: true });
        hits = (res.body as unknown as { hits: { hits: EventHit[] }; pit_id?: string }).hits.hits;
        pitId = (res.body as { pit_id?: string }).pit_id ?? pitId;
      } catch (err) {
        throw toOpenSearchError(err, `reading events from ${index}`, { target: index });
      }
      if (hits.length === 0) return;
      yield hits;
      if (hits.length < pageSize) return;
      after = hits[hits.length - 1]?.sort;
      if (!after) return;
    }
  } finally {
    if (pitId) await client.deletePit({ body: { pit_id: [pitId] } }).catch(() => undefined);
  }
}

export const and = (...clauses: Array<object | undefined>): object => {
  const present = clauses.filter((c): c is object => c !== undefined);
  return present.length === 0 ? { match_all: {} } : { bool: { filter: present } };
};
