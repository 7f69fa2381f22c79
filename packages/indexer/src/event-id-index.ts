import type { Config } from '@trailscope/runtime';

/**
 * The event-id index: one small document per event id stored in the namespace, `_id` = the event's id, naming the
 * event index that holds it and the SHA-256 of its raw text.
 *
 * Why a claim index rather than looking for the id in the read alias before writing: a search sees only what the
 * last refresh published (5 s on event indices), so a copy written moments earlier, or being written by another
 * worker at the same moment, would go unseen; and `_mget` cannot read through an alias spanning many indices.
 * A `create` into one index is atomic per id: of two writers claiming the same id at once, exactly one gets 201,
 * the other 409, and a realtime `_mget` then shows it what was claimed. Ids stay unique whatever the event indices'
 * period and history, at the price of one extra small bulk request per batch (measured by the bench).
 */
export interface EventIdClaim {
  /** The event index holding (or about to hold) the document. */
  index: string;
  /** Hex SHA-256 of the document's raw text. */
  sha256: string;
}

/**
 * The `_meta` flag of an event-id index holding the ids of every event stored before it was created (see
 * claimStoredEvents); until then workers refuse to write, as with a missing template.
 */
export const STORED_EVENTS_CLAIMED = 'storedEventsClaimed';

export function eventIdIndexBody(config: Pick<Config, 'index'>): Record<string, unknown> {
  return {
    settings: {
      index: {
        number_of_shards: config.index.shards,
        number_of_replicas: config.index.replicas,
        codec: 'best_compression',
        // Read by id only (realtime GET) and by retention's delete-by-query of an expired index's ids: searches
        // never need fresh segments here, and fewer refreshes keep its indexing cost down.
        refresh_interval: '30s',
      },
    },
    mappings: {
      dynamic: false,
      _meta: { managed_by: 'trailscope', [STORED_EVENTS_CLAIMED]: false },
      properties: {
        index: { type: 'keyword' },
        sha256: { type: 'keyword', index: false, doc_values: false },
      },
    },
  };
}

export function claimLine(eventIdsIndex: string, id: string, claim: EventIdClaim): string {
  return `{"create":{"_index":${JSON.stringify(eventIdsIndex)},"_id":${JSON.stringify(id)}}}\n{"index":${JSON.stringify(claim.index)},"sha256":"${claim.sha256}"}\n`;
}

interface MgetDoc {
  _id?: unknown;
  found?: unknown;
  _source?: { index?: unknown; sha256?: unknown; raw?: unknown; ingest?: { bucket?: unknown; key?: unknown } };
}

/** The claims of an `_mget` response on the event-id index, in request order; undefined where no claim exists. */
export function claimsOf(body: { docs?: MgetDoc[] }, count: number): Array<EventIdClaim | undefined> {
  const docs = Array.isArray(body.docs) ? body.docs : [];
  return Array.from({ length: count }, (_, i) => {
    const d = docs[i];
    const s = d?.found === true ? d._source : undefined;
    return typeof s?.index === 'string' && typeof s.sha256 === 'string' ? { index: s.index, sha256: s.sha256 } : undefined;
  });
}
