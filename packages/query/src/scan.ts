import { FIELDS } from '@trailscope/model';
import type { OpenSearchClient } from '@trailscope/runtime';
import { toOpenSearchError } from '@trailscope/runtime';
import type { SearchFilters } from './search-filters';
import type { Scope } from './scope';
import { sortFor, toDsl, type Dsl } from './to-dsl';
import { keepAliveMs, type PitLimiter } from './pit-limiter';
import { assertComplete, cancellable, searchTimeout, type RequestLimits } from './cancellable';
import { closePit, DEFAULT_PIT_KEEP_ALIVE, isMissingPit, openPit } from './search';
import { readPageInRuns } from './read-in-runs';

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
  /** Pages a time window is sized to hold (see scanEvents); WINDOW_PAGES unless told. */
  windowPages?: number;
  /** How long the point in time survives between pages. */
  keepAlive?: string;
  /** Bounds the points in time of `principal`; over its limit the scan reads the live indices without one. */
  pitLimiter?: PitLimiter;
  principal?: string;
  nowMs?: number;
}

export const DEFAULT_SCAN_PAGE_SIZE = 2000;

/** A window is sized to hold about this many pages (see scanEvents): one read fastest against a scroll of the same events, measured over 200,000 events. */
const WINDOW_PAGES = 1;

interface Window {
  /** Inclusive, epoch milliseconds. */
  lo: number;
  /** Exclusive. */
  hi: number;
}

interface ScanBody {
  timed_out?: boolean;
  pit_id?: string;
  hits: { total?: { value: number } | number; hits: Array<{ _id: string; _source?: Record<string, unknown>; sort?: Array<string | number | null> }> };
  aggregations?: { first?: { value?: number | null }; last?: { value?: number | null } };
}

/**
 * Every event a search matches, oldest first, a page at a time, for reading a whole result set (exports): paged
 * with search_after on (eventTime, id) in one point in time, each hit carrying only the `_source` paths asked for,
 * and the next page requested as soon as the current one arrives, so OpenSearch reads it while the caller writes
 * this one. Memory is two pages whatever the count. Unlike `search` there is no cursor to hand out: the position
 * is the last hit's (eventTime, id), which is also where a resumed scan starts.
 *
 * Event indices keep their segments sorted newest first, so an oldest-first page cannot stop early: it reads every
 * matching event after the position, and paging a whole index that way costs the square of its size (a million
 * events took a quarter of an hour). The scan therefore reads in time windows, each bounded by a range on
 * eventTime and meant to hold a few pages: a page then reads one window's events, not every later one. The first
 * request (an aggregation) gives the total and the first and last eventTime, from which the first window is sized;
 * each later window is halved when it held many pages and doubled when it held few (so gaps of years cost a few
 * empty windows).
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
    pitId = await openPit(client, index, keepAlive);
    if (pitId) reservation?.bind(pitId, keepAliveMillis);
    else reservation?.cancel();
  };
  const releaseSnapshot = async (): Promise<void> => {
    if (!pitId) return;
    const id = pitId;
    pitId = undefined;
    limiter?.release(principal, id);
    await closePit(client, id);
  };

  const within = (w: Window): Dsl => ({ bool: { filter: [query, { range: { [FIELDS.eventTime]: { gte: w.lo, lt: w.hi, format: 'epoch_millis' } } }] } });
  const send = async (body: Record<string, unknown>): Promise<ScanBody> => {
    const attempt = () =>
      cancellable(client, options, (transport) => {
        if (pitId) return client.search({ body: { ...body, pit: { id: pitId, keep_alive: keepAlive } } as never }, transport);
        return client.search({ index, body: body as never, ignore_unavailable: true, allow_no_indices: true }, transport);
      });
    let res;
    try {
      res = await attempt();
    } catch (err) {
      if (!pitId || !isMissingPit(err)) throw toOpenSearchError(err, 'search', { callerQuery: true, target: index });
      // the point in time expired: go on from the same position in a new one
      limiter?.release(principal, pitId);
      pitId = undefined;
      await openSnapshot();
      try {
        res = await attempt();
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
  const fetchPage = async (after: Array<string | number | null> | undefined, w: Window): Promise<ScanBody> => {
    const body: Record<string, unknown> = { query: within(w), sort, size: pageSize, track_total_hits: false, _source: source, ...searchTimeout(options) };
    if (after) body.search_after = after;
    if (pitId && source.length > 0) {
      const page = await readPageInRuns(send, body, after);
      if (page) return page;
    }
    return send(body);
  };

  await openSnapshot();
  // the page being read next; its failure is thrown when the caller asks for it, never as an unhandled rejection
  let pending: Promise<ScanBody> | undefined;
  try {
    const bounds = await send({ query, size: 0, track_total_hits: true, aggs: { first: { min: { field: FIELDS.eventTime } }, last: { max: { field: FIELDS.eventTime } } }, ...searchTimeout(options) });
    const total = typeof bounds.hits.total === 'number' ? bounds.hits.total : (bounds.hits.total?.value ?? 0);
    const first = bounds.aggregations?.first?.value;
    const last = bounds.aggregations?.last?.value;
    if (total === 0 || typeof first !== 'number' || typeof last !== 'number') return;
    const end = last + 1;
    let lo = options.after ? Math.max(first, options.after.eventTimeMs) : first;
    if (lo >= end) return;
    const windowPages = options.windowPages ?? WINDOW_PAGES;
    let span = Math.max(1000, Math.floor(((end - first) * pageSize * windowPages) / total));
    let w: Window = { lo, hi: Math.min(end, lo + span) };
    let position: Array<string | number | null> | undefined = options.after ? [options.after.eventTimeMs, options.after.id] : undefined;
    let pagesInWindow = 0;
    let hitsInWindow = 0;
    pending = fetchPage(position, w);
    while (pending) {
      const res = await pending;
      pending = undefined;
      const raw = res.hits.hits;
      pagesInWindow += 1;
      hitsInWindow += raw.length;
      const lastHit = raw[raw.length - 1];
      if (lastHit?.sort) position = lastHit.sort;
      if (raw.length >= pageSize && lastHit?.sort) {
        pending = fetchPage(position, w);
      } else if (w.hi < end) {
        // the window is read: size the next one from what this one held
        if (pagesInWindow > windowPages * 2) span = Math.max(1000, Math.floor(span / 2));
        else if (hitsInWindow < (pageSize * windowPages) / 2 && w.hi - w.lo >= span) span *= 2;
        lo = w.hi;
        w = { lo, hi: Math.min(end, lo + span) };
        pagesInWindow = 0;
        hitsInWindow = 0;
        pending = fetchPage(position, w);
      }
      pending?.catch(() => undefined);
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
