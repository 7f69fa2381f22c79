import type { OpenSearchClient } from '@trailscope/runtime';
import { FIELDS, TrailscopeError, type Names } from '@trailscope/model';
import type { SearchRequest } from './search-request';
import type { Scope } from './scope';
import { sortFor, toDsl, type Dsl } from './to-dsl';
import { decodeCursor, encodeCursor, invalidCursor, localCursorBinding, requestHash, type Cursor, type CursorBinding } from './cursor';
import { keepAliveMs, type PitLimiter } from './pit-limiter';
import { toTypedEvent, type Hit, type TypedEvent } from './typed-event';
import { assertComplete, cancellable, searchTimeout, type RequestLimits } from './cancellable';
import { errorFacts, isTooCostly, toOpenSearchError } from '@trailscope/runtime';

export interface SearchResult {
  events: TypedEvent[];
  /** Matching events in the snapshot this page was read from. */
  total: number;
  /** Present when more events follow; pass it back with the same filters and sort. */
  cursor?: string;
}

export interface SearchOptions extends RequestLimits {
  /** Clock for relative time ranges on the first page; later pages use the instant pinned in the cursor. */
  nowMs?: number;
  /** How long the point in time survives between pages. */
  keepAlive?: string;
  /**
   * false when the caller will not ask for another page (a CLI's last page under --limit): no point in time is
   * opened and no cursor returned.
   */
  paginate?: boolean;
  /**
   * Whose cursors these are (the API key id and the server's cursor key). Without it, a key drawn once per process:
   * the cursors are then good only in this process.
   */
  cursorBinding?: CursorBinding;
  /** Bounds the points in time open per principal; over its limit later pages read without a snapshot. */
  pitLimiter?: PitLimiter;
}

export const DEFAULT_PIT_KEEP_ALIVE = '5m';

interface SearchBody {
  timed_out?: boolean;
  hits: { total?: { value: number } | number; hits: Hit[] };
  pit_id?: string;
}

export async function openPit(client: OpenSearchClient, index: string, keepAlive: string): Promise<string | undefined> {
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

/** The point in time a request named has expired or was closed. */
export function isMissingPit(err: unknown): boolean {
  const f = errorFacts(err);
  return f.statusCode === 404 || f.type === 'search_context_missing_exception';
}

/**
 * One page of events, newest first unless asked otherwise, paged with search_after on (eventTime, id).
 *
 * The first page is a plain search: most callers never ask for a second one, and a point in time held for them
 * would only count against the cluster's open-PIT limit. Its cursor carries the position (search_after) and the
 * instant relative times were resolved against. The second page opens the point in time, and the later pages read
 * that snapshot: from there on paging visits each event exactly once and none that arrived later, and the total
 * is counted once. When none can be opened (the caller's or the cluster's limit, or no index yet), or the cursor's
 * has expired, paging goes on from the cursor's position in the live indices: still each event at most once, but
 * events that arrived meanwhile may then appear.
 *
 * Cursors are authenticated (cursor.ts): one that does not verify for this caller, namespace, scope and request is
 * INVALID_CURSOR before anything in it is used.
 */
export async function search(
  client: OpenSearchClient,
  names: Pick<Names, 'eventsAlias' | 'namespace'>,
  request: SearchRequest,
  scope: Scope,
  options: SearchOptions = {},
): Promise<SearchResult> {
  const binding = options.cursorBinding ?? localCursorBinding(names.namespace);
  const cursorCtx = { binding, namespace: names.namespace, scope, hash: requestHash(request, request.sort) };
  const previous: Cursor | undefined = request.cursor ? decodeCursor(request.cursor, cursorCtx) : undefined;
  const nowMs = previous?.n ?? options.nowMs ?? Date.now();
  const keepAlive = options.keepAlive ?? DEFAULT_PIT_KEEP_ALIVE;
  const keepAliveMillis = keepAliveMs(keepAlive);
  const paginate = options.paginate ?? true;
  const index = names.eventsAlias;
  const limiter = options.pitLimiter;
  const principal = binding.principal;

  // A point in time for this page, opened here when the caller may follow (second page, or a cursor whose snapshot
  // could not be opened or is gone) and its limit allows.
  const openSnapshot = async (): Promise<string | undefined> => {
    if (!paginate) return undefined;
    const reservation = limiter ? limiter.reserve(principal) : undefined;
    if (limiter && !reservation) return undefined;
    const id = await openPit(client, index, keepAlive);
    if (id) reservation?.bind(id, keepAliveMillis);
    else reservation?.cancel();
    return id;
  };
  const release = (id: string) => {
    limiter?.release(principal, id);
    void closePit(client, id);
  };

  // build (and validate) the query before opening anything that would need releasing
  const query = toDsl(request, scope, { nowMs });
  let pitId = previous?.p;
  let openedHere = false;
  if (previous && pitId === undefined) {
    pitId = await openSnapshot();
    openedHere = pitId !== undefined;
  }

  // In the cursor's own snapshot the total cannot have changed: reuse it and let OpenSearch skip counting, which
  // also lets it jump to the cursor's position in index-sorted segments instead of ranking every match again.
  let knownTotal = previous?.p !== undefined ? previous.t : undefined;
  let res: SearchBody;
  try {
    res = await searchPage(client, index, query, request, previous, pitId, keepAlive, knownTotal === undefined, options);
  } catch (err) {
    if (!previous?.p || !isMissingPit(err)) {
      if (pitId && openedHere) release(pitId);
      throw mapSearchError(err, previous, index);
    }
    // the cursor's snapshot expired: go on from its position in a new one, counted afresh
    limiter?.release(principal, previous.p);
    pitId = await openSnapshot();
    openedHere = pitId !== undefined;
    knownTotal = undefined;
    try {
      res = await searchPage(client, index, query, request, previous, pitId, keepAlive, true, options);
    } catch (retryErr) {
      if (pitId && openedHere) release(pitId);
      throw mapSearchError(retryErr, previous, index);
    }
  }

  const hits = res.hits.hits;
  const total = knownTotal ?? (typeof res.hits.total === 'number' ? res.hits.total : (res.hits.total?.value ?? hits.length));
  const page = hits.slice(0, request.pageSize);
  const events = page.map((h) => toTypedEvent(h, request.includeRaw));
  const more = hits.length > request.pageSize && paginate;
  const currentPit = res.pit_id ?? pitId;
  if (currentPit && currentPit !== pitId && pitId) limiter?.release(principal, pitId);
  if (!more) {
    if (currentPit) release(currentPit);
    return { events, total };
  }
  const last = page[page.length - 1];
  if (!last?.sort) throw new TrailscopeError('INTERNAL', 'search hit without sort values; cannot page');
  const cursor: Cursor = { v: 2, n: nowMs, a: last.sort };
  if (currentPit) {
    limiter?.touch(principal, currentPit, keepAliveMillis);
    cursor.p = currentPit;
    cursor.t = total;
  }
  return { events, total, cursor: encodeCursor(cursor, cursorCtx) };
}

/** Closes the point in time a cursor holds, for a caller that stops paging before the end. Best effort. */
export async function releaseCursor(
  client: OpenSearchClient,
  names: Pick<Names, 'namespace'>,
  request: SearchRequest,
  scope: Scope,
  options: Pick<SearchOptions, 'cursorBinding' | 'pitLimiter'> = {},
): Promise<void> {
  if (!request.cursor) return;
  const binding = options.cursorBinding ?? localCursorBinding(names.namespace);
  const cursor = decodeCursor(request.cursor, { binding, namespace: names.namespace, scope, hash: requestHash(request, request.sort) });
  if (!cursor.p) return;
  options.pitLimiter?.release(binding.principal, cursor.p);
  await closePit(client, cursor.p);
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
  limits: RequestLimits,
): Promise<SearchBody> {
  const body: Record<string, unknown> = {
    query,
    sort: sortFor(request.sort),
    // one extra hit tells whether another page exists without a cursor that leads to an empty page
    size: request.pageSize + 1,
    track_total_hits: countTotal,
    _source: request.includeRaw ? true : { excludes: [FIELDS.raw] },
    ...searchTimeout(limits),
  };
  if (previous) body.search_after = previous.a;
  if (pitId) body.pit = { id: pitId, keep_alive: keepAlive };
  const response = await cancellable(client, limits, (transport) =>
    pitId
      ? client.search({ body: body as never }, transport)
      : client.search({ index, body: body as never, ignore_unavailable: true, allow_no_indices: true }, transport),
  );
  const page = response.body as unknown as SearchBody;
  assertComplete(page, 'search', limits);
  return page;
}

function mapSearchError(err: unknown, previous: Cursor | undefined, index: string): TrailscopeError {
  const f = errorFacts(err);
  // Our own query was accepted on the first page and the cursor is authenticated, so a 4xx on a later page means
  // what the cursor names cannot be read any more (a point in time of indices since deleted, say).
  const status = f.statusCode;
  if (previous && status !== undefined && status >= 400 && status < 500 && status !== 429 && status !== 408 && !isTooCostly(f)) {
    return invalidCursor(`OpenSearch refused the cursor's page: ${status} ${f.type ?? ''}`.trim(), err);
  }
  return toOpenSearchError(err, 'search', { callerQuery: true, target: index });
}
