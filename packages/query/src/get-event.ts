import type { OpenSearchClient } from '@trailscope/runtime';
import { FIELDS, TrailscopeError, type Names } from '@trailscope/model';
import { scopeClauses, type Scope } from './scope';
import { toTypedEvent, type Hit, type TypedEvent } from './typed-event';
import { toOpenSearchError } from '@trailscope/runtime';

/**
 * One event by document id or eventID, searched across every index behind the alias (its index depends on an
 * eventTime the caller does not know). Out-of-scope events are NOT_FOUND, not FORBIDDEN, so a scoped caller cannot
 * probe which ids exist elsewhere.
 */
export async function getEvent(
  client: OpenSearchClient,
  names: Pick<Names, 'eventsAlias'>,
  id: string,
  scope: Scope,
  options: { includeRaw?: boolean } = {},
): Promise<TypedEvent> {
  if (id.trim() === '' || id.length > 512) {
    throw new TrailscopeError('VALIDATION_FAILED', `eventId: "${id.slice(0, 64)}" is not an event id`, { context: { field: 'eventId' } });
  }
  const includeRaw = options.includeRaw ?? false;
  const query = {
    bool: {
      filter: [
        { bool: { should: [{ ids: { values: [id] } }, { term: { [FIELDS.eventID]: id } }], minimum_should_match: 1 } },
        ...scopeClauses(scope),
      ],
    },
  };
  let hits: Hit[];
  try {
    const res = await client.search({
      index: names.eventsAlias,
      body: { query, size: 1, _source: includeRaw ? true : { excludes: [FIELDS.raw] } } as never,
      ignore_unavailable: true,
      allow_no_indices: true,
    });
    hits = (res.body as unknown as { hits: { hits: Hit[] } }).hits.hits;
  } catch (err) {
    throw toOpenSearchError(err, 'get event', { callerQuery: true, field: 'eventId', target: names.eventsAlias });
  }
  const hit = hits[0];
  if (!hit) throw new TrailscopeError('NOT_FOUND', `eventId: no event "${id}"`, { context: { field: 'eventId', id } });
  return toTypedEvent(hit, includeRaw);
}
