import type { OpenSearchClient } from '@trailscope/runtime';
import { FIELDS, TrailscopeError, type Names } from '@trailscope/model';
import type { SearchRequest } from './search-request';
import type { Scope } from './scope';
import { sortFor, toDsl } from './to-dsl';
import { decodeCursor, encodeCursor, requestHash, type Cursor } from './cursor';
import { toTypedEvent, type Hit, type TypedEvent } from './typed-event';
import { openSearchFailure, wrapOpenSearchError } from './opensearch-error';

export interface SearchResult {
  events: TypedEvent[];
  /** Matching events in the snapshot this page was read from. */
  total: number;
  /** Present when more events follow; pass it back with the same filters and sort. */
  cursor?: string;
}

export interface SearchOptions {
  /** Clock for relative time ranges on the first page; later pages use the instant pinned in the cursor. */
  nowMs?: number;
  /** How long an idle point in time survives between pages. */
  keepAlive?: string;
  /**
   * false when the caller will not ask for another page (a CLI's last page under --limit): no point in time is
   * opened and no cursor returned.
   */
  paginate?: boolean;
}

export const DEFAULT_PIT_KEEP_ALIVE = '5m';

interface SearchBody {
  hits: { total?: { value: number } | number; hits: Hit[] };
  pit_id?: string;
}

async function openPit(client: OpenSearchClient, index: string, keepAlive: string): Promise<string> {
  try {
    const res = await client.createPit({ index: [index], keep_alive: keepAlive, allow_partial_pit_creation: false });
    return res.body.pit_id;
  } catch (err) {
    throw wrapOpenSearchError(err, 'open point in time', index);
  }
}

/** Best effort: an unreleased point in time expires by itself after keep-alive. */
export async function closePit(client: OpenSearchClient, pitId: string): Promise<void> {
  try {
    await client.deletePit({ body: { pit_id: [pitId] } });
  } catch {
    // expiry reclaims it
  }
}

/**
 * One page of events. A first page that may be followed opens a point in time before searching, and every page
 * reads that snapshot with search_after on (eventTime, id): paging visits each event that matched at the first page
 * exactly once, and none that arrived later. A first page that fits is released at once, so only result sets still
 * being paged hold a point in time (they count against the cluster's open-PIT limit until keep-alive expires).
 * When no point in time can be opened (that limit, or no index yet) the page is read directly and the next page
 * opens one.
 */
export async function search(
  client: OpenSearchClient,
  names: Pick<Names, 'eventsAlias'>,
  request: SearchRequest,
  scope: Scope,
  options: SearchOptions = {},
): Promise<SearchResult> {
  const hash = requestHash(request, request.sort);
  const previous: Cursor | undefined = request.cursor ? decodeCursor(request.cursor, hash) : undefined;
  const nowMs = previous?.n ?? options.nowMs ?? Date.now();
  const keepAlive = options.keepAlive ?? DEFAULT_PIT_KEEP_ALIVE;
  const paginate = options.paginate ?? true;
  const index = names.eventsAlias;

  // build (and validate) the query before opening anything that would need releasing
  const query = toDsl(request, scope, { nowMs });
  let pitId = previous?.p;
  if (!pitId && (previous || paginate)) {
    try {
      pitId = await openPit(client, index, keepAlive);
    } catch (err) {
      if (previous) throw err;
    }
  }
  const body: Record<string, unknown> = {
    query,
    sort: sortFor(request.sort),
    // one extra hit tells whether another page exists without a cursor that leads to an empty page
    size: request.pageSize + 1,
    track_total_hits: true,
    _source: request.includeRaw ? true : { excludes: [FIELDS.raw] },
  };
  if (previous) body.search_after = previous.a;
  if (pitId) body.pit = { id: pitId, keep_alive: keepAlive };

  let res: SearchBody;
  try {
    const response = pitId
      ? await client.search({ body: body as never })
      : await client.search({ index, body: body as never, ignore_unavailable: true, allow_no_indices: true });
    res = response.body as unknown as SearchBody;
  } catch (err) {
    if (pitId && !previous) void closePit(client, pitId);
    const f = openSearchFailure(err);
    if (previous && f.status !== undefined && f.status >= 400 && f.status < 500 && f.status !== 429) {
      throw new TrailscopeError('INVALID_CURSOR', `cursor: expired or no longer valid (${f.type ?? f.status}); repeat the original request`, {
        cause: err,
        context: { field: 'cursor' },
      });
    }
    throw wrapOpenSearchError(err, 'search', index);
  }

  const hits = res.hits.hits;
  const total = typeof res.hits.total === 'number' ? res.hits.total : (res.hits.total?.value ?? hits.length);
  const page = hits.slice(0, request.pageSize);
  const events = page.map((h) => toTypedEvent(h, request.includeRaw));
  const more = hits.length > request.pageSize && paginate;
  const currentPit = res.pit_id ?? pitId;
  if (!more) {
    if (currentPit) void closePit(client, currentPit);
    return { events, total };
  }
  const last = page[page.length - 1];
  if (!last?.sort) throw new TrailscopeError('INTERNAL', 'search hit without sort values; cannot page');
  const cursor: Cursor = { v: 1, h: hash, n: nowMs, a: last.sort };
  if (currentPit) cursor.p = currentPit;
  return { events, total, cursor: encodeCursor(cursor) };
}
