import type { OpenSearchClient } from '@trailscope/runtime';
import { FIELDS, TrailscopeError, type Names } from '@trailscope/model';
import type { SearchRequest } from './search-request';
import type { Scope } from './scope';
import { sortFor, toDsl, type Dsl } from './to-dsl';
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
  /** How long the point in time survives after the first page: most callers never ask for a second one. */
  firstKeepAlive?: string;
  /** How long it survives between later pages. */
  keepAlive?: string;
  /**
   * false when the caller will not ask for another page (a CLI's last page under --limit): no point in time is
   * opened and no cursor returned.
   */
  paginate?: boolean;
}

export const FIRST_PAGE_PIT_KEEP_ALIVE = '1m';
export const DEFAULT_PIT_KEEP_ALIVE = '5m';

interface SearchBody {
  hits: { total?: { value: number } | number; hits: Hit[] };
  pit_id?: string;
}

async function openPit(client: OpenSearchClient, index: string, keepAlive: string): Promise<string | undefined> {
  try {
    const res = await client.createPit({ index: [index], keep_alive: keepAlive, allow_partial_pit_creation: false });
    return res.body.pit_id;
  } catch {
    // No index behind the alias yet, or the cluster's open-PIT limit: read without a snapshot rather than fail.
    // An unreachable cluster fails the search itself right after.
    return undefined;
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

function isMissingPit(err: unknown): boolean {
  const f = openSearchFailure(err);
  return f.status === 404 || f.type === 'search_context_missing_exception';
}

/**
 * One page of events, newest first unless asked otherwise, paged with search_after on (eventTime, id).
 *
 * A first page that may be followed opens a point in time before searching, and the following pages read that
 * snapshot: paging visits each event that matched at the first page exactly once, and none that arrived later. A
 * first page that fits is released at once; one that is never followed lives for `firstKeepAlive` only, since
 * every point in time counts against the cluster's open-PIT limit. When none can be opened (that limit, or no index
 * yet), or the cursor's has expired, paging goes on from the cursor's position in a fresh snapshot: still each
 * event at most once, but events that arrived meanwhile may then appear.
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
  const keepAlive = previous ? (options.keepAlive ?? DEFAULT_PIT_KEEP_ALIVE) : (options.firstKeepAlive ?? FIRST_PAGE_PIT_KEEP_ALIVE);
  const paginate = options.paginate ?? true;
  const index = names.eventsAlias;

  // build (and validate) the query before opening anything that would need releasing
  const query = toDsl(request, scope, { nowMs });
  let pitId = previous ? previous.p : paginate ? await openPit(client, index, keepAlive) : undefined;

  // In the cursor's own snapshot the total cannot have changed: reuse it and let OpenSearch skip counting, which
  // also lets it jump to the cursor's position in index-sorted segments instead of ranking every match again.
  let knownTotal = previous?.p !== undefined ? previous.t : undefined;
  let res: SearchBody;
  try {
    res = await searchPage(client, index, query, request, previous, pitId, keepAlive, knownTotal === undefined);
  } catch (err) {
    if (!previous?.p || !isMissingPit(err)) throw mapSearchError(err, previous, pitId, client, index);
    // the cursor's snapshot expired: go on from its position in a new one, counted afresh
    pitId = await openPit(client, index, keepAlive);
    knownTotal = undefined;
    try {
      res = await searchPage(client, index, query, request, previous, pitId, keepAlive, true);
    } catch (retryErr) {
      throw mapSearchError(retryErr, previous, pitId, client, index);
    }
  }

  const hits = res.hits.hits;
  const total = knownTotal ?? (typeof res.hits.total === 'number' ? res.hits.total : (res.hits.total?.value ?? hits.length));
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
  if (currentPit) {
    cursor.p = currentPit;
    cursor.t = total;
  }
  return { events, total, cursor: encodeCursor(cursor) };
}

async function searchPage(
  client: OpenSearchClient,
  index: string,
  query: Dsl,
  request: SearchRequest,
  previous: Cursor | undefined,
  pitId: string | undefined,
  keepAlive: string,
  countTotal: boolean,
): Promise<SearchBody> {
  const body: Record<string, unknown> = {
    query,
    sort: sortFor(request.sort),
    // one extra hit tells whether another page exists without a cursor that leads to an empty page
    size: request.pageSize + 1,
    track_total_hits: countTotal,
    _source: request.includeRaw ? true : { excludes: [FIELDS.raw] },
  };
  if (previous) body.search_after = previous.a;
  if (pitId) body.pit = { id: pitId, keep_alive: keepAlive };
  const response = pitId
    ? await client.search({ body: body as never })
    : await client.search({ index, body: body as never, ignore_unavailable: true, allow_no_indices: true });
  return response.body as unknown as SearchBody;
}

function mapSearchError(err: unknown, previous: Cursor | undefined, pitId: string | undefined, client: OpenSearchClient, index: string): TrailscopeError {
  if (pitId && !previous) void closePit(client, pitId);
  const f = openSearchFailure(err);
  // our own query was accepted on the first page, so a 4xx on a later one comes from what the cursor carried
  if (previous && f.status !== undefined && f.status >= 400 && f.status < 500 && f.status !== 429) {
    return new TrailscopeError('INVALID_CURSOR', `cursor: no longer valid (${f.type ?? f.status}); repeat the original request`, {
      cause: err,
      context: { field: 'cursor' },
    });
  }
  return wrapOpenSearchError(err, 'search', index);
}
