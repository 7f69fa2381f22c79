import { FIELDS } from '@trailscope/model';
import type { Config, Logger, OpenSearchClient } from '@trailscope/runtime';
import { errorFacts, toOpenSearchError } from '@trailscope/runtime';
import { classifyBulkResponse, type BulkResponseBody } from './bulk-outcome';
import { sha256Hex } from './content-hash';
import { claimLine, STORED_EVENTS_CLAIMED } from './event-id-index';

export interface StoredEventClaims {
  /** Whether this call went through the stored events (false: an earlier setup did, or the index is new and empty). */
  ran: boolean;
  /** Stored events whose id this call claimed. */
  claimed: number;
  /** Stored documents whose id another stored document had already claimed: copies stored twice before ids were claimed. */
  storedTwice: number;
}

const PAGE = 1000;

/**
 * Claims the ids of the events already stored when the event-id index is new to a store (one written before ids
 * were claimed), so that their later copies are recognised whatever index they are bound for; then marks the
 * index complete in its `_meta`, which checkTemplates requires. Resumable: claims already made answer 409.
 */
export async function claimStoredEvents(client: OpenSearchClient, config: Pick<Config, 'names'>, logger?: Logger): Promise<StoredEventClaims> {
  const { eventIdsIndex, eventsAlias } = config.names;
  if (await storedEventsClaimed(client, eventIdsIndex)) return { ran: false, claimed: 0, storedTwice: 0 };
  let claimed = 0;
  let storedTwice = 0;
  let pit: string | undefined;
  try {
    try {
      const res = await client.transport.request({ method: 'POST', path: `/${encodeURIComponent(eventsAlias)}/_search/point_in_time`, querystring: { keep_alive: '5m' } });
      pit = (res.body as { pit_id: string }).pit_id;
    } catch (err) {
      if (errorFacts(err).statusCode !== 404) throw err;
    }
    let after: unknown[] | undefined;
    while (pit) {
      const res = await client.transport.request({
        method: 'POST',
        path: '/_search',
        body: { size: PAGE, pit: { id: pit, keep_alive: '5m' }, sort: [{ _index: 'asc' }, { [FIELDS.id]: 'asc' }], _source: ['raw'], ...(after ? { search_after: after } : {}) },
      });
      const hits = (res.body as { hits: { hits: Array<{ _index: string; _id: string; _source?: { raw?: unknown }; sort: unknown[] }> } }).hits.hits;
      if (hits.length === 0) break;
      const body = hits.map((h) => claimLine(eventIdsIndex, h._id, { index: h._index, sha256: sha256Hex(typeof h._source?.raw === 'string' ? h._source.raw : '') })).join('');
      const bulk = await client.transport.request({ method: 'POST', path: '/_bulk', querystring: { filter_path: 'errors,items.*.status,items.*.error.type,items.*.error.reason' }, bulkBody: body });
      for (const outcome of classifyBulkResponse(bulk.body as BulkResponseBody, hits.length)) {
        if (outcome.kind === 'created') claimed++;
        else if (outcome.kind === 'duplicate') storedTwice++;
        else throw new Error(`claiming stored event ids in ${eventIdsIndex}: ${outcome.reason}`);
      }
      after = hits[hits.length - 1]?.sort;
      if (hits.length < PAGE) break;
    }
    await client.transport.request({
      method: 'PUT',
      path: `/${encodeURIComponent(eventIdsIndex)}/_mapping`,
      body: { _meta: { managed_by: 'trailscope', [STORED_EVENTS_CLAIMED]: true } },
    });
  } catch (err) {
    throw toOpenSearchError(err, `claiming the ids of the events stored in ${eventsAlias}`);
  } finally {
    if (pit) await client.transport.request({ method: 'DELETE', path: '/_search/point_in_time', body: { pit_id: [pit] } }).catch(() => undefined);
  }
  if (storedTwice > 0) {
    logger?.warn({ storedTwice, index: eventIdsIndex }, 'some event ids were stored more than once before ids were claimed; later copies will not add more');
  }
  return { ran: true, claimed, storedTwice };
}

/** Whether the event-id index holds the ids of every event stored before it existed. */
export async function storedEventsClaimed(client: OpenSearchClient, eventIdsIndex: string): Promise<boolean> {
  const res = await client.transport.request({ method: 'GET', path: `/${encodeURIComponent(eventIdsIndex)}/_mapping` });
  const body = res.body as Record<string, { mappings?: { _meta?: Record<string, unknown> } }>;
  return body[eventIdsIndex]?.mappings?._meta?.[STORED_EVENTS_CLAIMED] === true;
}
