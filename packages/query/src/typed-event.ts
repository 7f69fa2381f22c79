import type { EventDoc } from '@trailscope/model';

/** An event as returned to callers: the indexed fields, plus the record as delivered when asked for. */
export type TypedEvent = Omit<EventDoc, 'raw'> & { raw?: string };

export interface Hit {
  _id: string;
  _index?: string;
  _source?: Record<string, unknown>;
  sort?: Array<string | number | null>;
}

/** The event of a search hit; `id` falls back to the document id for documents indexed without it. */
export function toTypedEvent(hit: Hit, includeRaw: boolean): TypedEvent {
  const source = { ...(hit._source ?? {}) } as unknown as TypedEvent;
  if (typeof source.id !== 'string' || source.id === '') source.id = hit._id;
  if (!includeRaw) delete source.raw;
  return source;
}
