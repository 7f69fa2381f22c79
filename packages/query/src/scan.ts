import type { OpenSearchClient } from '@trailscope/runtime';
import { errorFacts, toOpenSearchError } from '@trailscope/runtime';
import type { SearchFilters } from './search-filters';
import type { Scope } from './scope';
import { sortFor, toDsl, type Dsl } from './to-dsl';
import { keepAliveMs, type PitLimiter } from './pit-limiter';
import { assertComplete, cancellable, searchTimeout, type RequestLimits } from './cancellable';
import { closePit, DEFAULT_PIT_KEEP_ALIVE } from './search';

/** Where a scan stands: the (eventTime in epoch milliseconds, id) of the last event read. Exclusive. */
export interface ScanPosition {
  eventTimeMs: number;
  id: string;
}

export interface ScanHit {
  id: string;
  eventTimeMs: number;
  /** Only the `_source` paths asked for. */
  source: Record<string, unknown>;
}

export interface ScanPage {
  hits: ScanHit[];
  /** Events the query matches in all (not only after the start position), counted once, on the first page. */
  total: number;
}

export interface ScanOptions extends RequestLimits {
  /** The `_source` paths each hit carries (an export of raw records needs `raw` alone). */
  source: readonly string[];
  /** Start after this position (a resumed export). */
  after?: ScanPosition;
  /** Events a page; 2,000 unless told. */
  pageSize?: number;
  /** How long the point in time survives between pages. */
  keepAlive?: string;
  /** Bounds the points in time of `principal`; over its limit the scan reads the live indices without one. */
  pitLimiter?: PitLimiter;
  principal?: string;
  nowMs?: number;
}

export const DEFAULT_SCAN_PAGE_SIZE = 2000;

interface ScanBody {
  timed_out?: boolean;
  pit_id?: string;
  hits: { total?: { value: number } | number; hits: Array<{ _id: string; _source?: Record<string, unknown>; sort?: Array<string | number | null> }> };
}

function isMissingPit(err: unknown): boolean {
  const f = errorFacts(err);
  return f.statusCode === 404 || f.type === 'search_context_missing_exception';
}

/**
 * Every event a search matches, oldest first, a page at a time, for reading a whole result set (exports): paged
 * with search_after on (eventTime, id) in one point in time, each hit carrying only the `_source` paths asked for,
 * and the next page requested as soon as the current one arrives, so OpenSearch reads it while the caller writes
 * this one. Memory is two pages whatever the count. Unlike `search` there is no cursor to hand out: the position
 * is the last hit's (eventTime, id), which is also where a resumed scan starts.
 *
 * The point in time is opened on the first page and closed when the scan ends, early or not. When none can be
 * opened (the caller's or the cluster's limit), or it expires between pages, reading goes on from the position in
 * the live indices: each event still at most once, but events that arrived meanwhile may then appear.
 */
export async function* scanEvents(
  client: OpenSearchClient,
  names: { eventsAlias: string },
  filters: SearchFilters,
  scope: Scope,
  options: ScanOptions,
): AsyncGenerator<ScanPage, void, undefined> {
  const query: Dsl = toDsl(filters, scope, { nowMs: options.nowMs ?? Date.now() });
  const index = names.eventsAlias;
  const pageSize = options.pageSize ?? DEFAULT_SCAN_PAGE_SIZE;
  const keepAlive = options.keepAlive ?? DEFAULT_PIT_KEEP_ALIVE;
  const keepAliveMillis = keepAliveMs(keepAlive);
  const limiter = options.pitLimiter;
  const principal = options.principal ?? '';
  const sort = sortFor('asc');
  const source = [...options.source];

  let pitId: string | undefined;
  const openSnapshot = async (): Promise<void> => {
    const reservation = limiter ? limiter.reserve(principal) : undefined;
    if (limiter && !reservation) return;
    try {
      const res = await client.createPit({ index: [index], keep_alive: keepAlive, allow_partial_pit_creation: false });
      pitId = res.body.pit_id;
      reservation?.bind(pitId, keepAliveMillis);
    } catch {
      // no index behind the alias yet, or the cluster's open-PIT limit: read without a snapshot rather than fail
      reservation?.cancel();
    }
  };
  const releaseSnapshot = async (): Promise<void> => {
    if (!pitId) return;
    const id = pitId;
    pitId = undefined;
    limiter?.release(principal, id);
    await closePit(client, id);
  };

  const fetchPage = async (after: Array<string | number | null> | undefined, countTotal: boolean): Promise<ScanBody> => {
    const body: Record<string, unknown> = { query, sort, size: pageSize, track_total_hits: countTotal, _source: source, ...searchTimeout(options) };
    if (after) body.search_after = after;
    const send = () =>
      cancellable(client, options, (transport) => {
        if (pitId) return client.search({ body: { ...body, pit: { id: pitId, keep_alive: keepAlive } } as never }, transport);
        return client.search({ index, body: body as never, ignore_unavailable: true, allow_no_indices: true }, transport);
      });
    let res;
    try {
      res = await send();
    } catch (err) {
      if (!pitId || !isMissingPit(err)) throw toOpenSearchError(err, 'search', { callerQuery: true, target: index });
      // the point in time expired: go on from the same position in a new one
      limiter?.release(principal, pitId);
      pitId = undefined;
      await openSnapshot();
      try {
        res = await send();
      } catch (retryErr) {
        throw toOpenSearchError(retryErr, 'search', { callerQuery: true, target: index });
      }
    }
    const page = res.body as unknown as ScanBody;
    assertComplete(page, 'search', options);
    if (page.pit_id && pitId && page.pit_id !== pitId) {
      limiter?.release(principal, pitId);
      pitId = page.pit_id;
    }
    if (pitId) limiter?.touch(principal, pitId, keepAliveMillis);
    return page;
  };

  await openSnapshot();
  // the page being read next; its failure is thrown when the caller asks for it, never as an unhandled rejection
  let pending: Promise<ScanBody> | undefined;
  try {
    const start = options.after ? [options.after.eventTimeMs, options.after.id] : undefined;
    pending = fetchPage(start, true);
    let total: number | undefined;
    while (pending) {
      const res = await pending;
      pending = undefined;
      const raw = res.hits.hits;
      total ??= typeof res.hits.total === 'number' ? res.hits.total : (res.hits.total?.value ?? raw.length);
      const last = raw[raw.length - 1];
      if (raw.length >= pageSize && last?.sort) {
        pending = fetchPage(last.sort, false);
        pending.catch(() => undefined);
      }
      // the sort values are the position: eventTime as epoch milliseconds, then the id (the document id for a
      // document indexed without one)
      const hits: ScanHit[] = raw.map((h) => ({ id: typeof h.sort?.[1] === 'string' ? h.sort[1] : h._id, eventTimeMs: Number(h.sort?.[0]), source: h._source ?? {} }));
      if (hits.length > 0) yield { hits, total };
    }
  } finally {
    // a caller that stops early (or fails) leaves a page in flight: let it settle before the snapshot goes
    if (pending) await pending.catch(() => undefined);
    await releaseSnapshot();
  }
}
