import type { OpenSearchClient } from '@trailscope/runtime';
import { FIELDS, TrailscopeError, type Names } from '@trailscope/model';
import type { AggregationRequest, AggSpec } from './aggregation-request';
import { CALENDAR_INTERVALS, FIXED_INTERVAL_RE } from './aggregation-request';
import type { Scope } from './scope';
import { aggregatableField } from './fields';
import { resolveTimeRange, toDsl, type Dsl } from './to-dsl';
import { toOpenSearchError } from '@trailscope/runtime';
import { QUERY_LIMITS, tooCostly } from './query-cost';
import { assertComplete, cancellable, searchTimeout, type RequestLimits } from './cancellable';

export interface AggBucket {
  key: string;
  count: number;
  aggs?: Record<string, AggResult>;
}
export type AggResult =
  | { type: 'terms'; field: string; buckets: AggBucket[]; otherCount: number }
  | { type: 'date_histogram'; interval: string; buckets: AggBucket[] }
  | { type: 'cardinality'; field: string; value: number };

export interface AggregationResult {
  total: number;
  aggs: Record<string, AggResult>;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const CALENDAR_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000, week: 604_800_000, month: 2_419_200_000, quarter: 7_776_000_000, year: 31_536_000_000 };

function fieldOf(name: string): string {
  const field = aggregatableField(name);
  if (!field) throw new TrailscopeError('VALIDATION_FAILED', `aggs: "${name}" is not an aggregatable field`, { context: { field: 'aggs' } });
  return field;
}

/**
 * The finite eventTime range every histogram of a request covers: the request's own, else up to now and back to
 * the oldest event the query matches. `extend` asks for empty buckets up to both ends the caller named.
 */
export interface HistogramBounds {
  fromMs: number;
  toMs: number;
  extend: boolean;
}

function stepMsOf(interval: string): number {
  const fixed = FIXED_INTERVAL_RE.exec(interval);
  if (fixed) return Number(fixed[1]) * (UNIT_MS[fixed[2] as string] as number);
  return CALENDAR_MS[CALENDAR_INTERVALS[interval] as string] as number;
}

const CALENDAR_LONGEST_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000, week: 604_800_000, month: 2_678_400_000, quarter: 7_948_800_000, year: 31_622_400_000 };

function longestStepMs(interval: string): number {
  return FIXED_INTERVAL_RE.test(interval) ? stepMsOf(interval) : (CALENDAR_LONGEST_MS[CALENDAR_INTERVALS[interval] as string] as number);
}

/** Buckets a histogram makes over the bounds, counting partial buckets at both edges (calendar units at their shortest). */
export function histogramBuckets(interval: string, bounds: Pick<HistogramBounds, 'fromMs' | 'toMs'>): number {
  return Math.floor(Math.max(0, bounds.toMs - bounds.fromMs) / stepMsOf(interval)) + 2;
}

function histogramDsl(interval: string, bounds: HistogramBounds): Record<string, unknown> {
  const fixed = FIXED_INTERVAL_RE.test(interval);
  const dsl: Record<string, unknown> = {
    field: FIELDS.eventTime,
    ...(fixed ? { fixed_interval: interval } : { calendar_interval: CALENDAR_INTERVALS[interval] }),
    time_zone: 'UTC',
    format: 'strict_date_optional_time',
    min_doc_count: 0,
    // Never a bucket outside the range the cost was computed for, whatever events arrive meanwhile. OpenSearch
    // rounds both bounds down to bucket keys and leaves out the bucket at max: max one bucket past `to` keeps the
    // bucket holding `to` (measured on 2.19: max = to, mid-bucket, dropped that whole bucket).
    hard_bounds: { min: bounds.fromMs, max: bounds.toMs + longestStepMs(interval) },
  };
  // empty buckets at the edges keep charts on the requested axis
  if (bounds.extend) dsl.extended_bounds = { min: bounds.fromMs, max: bounds.toMs };
  return dsl;
}

function hasHistogram(aggs: Record<string, AggSpec>): boolean {
  return Object.values(aggs).some((a) => a.type === 'date_histogram' || (a.type === 'terms' && a.aggs !== undefined && hasHistogram(a.aggs)));
}

/**
 * Throws QUERY_TOO_COSTLY, naming the aggregation's field (`aggs.byUser.size`, `aggs.overTime.interval`) and the
 * limit, when the request has more than QUERY_LIMITS.aggNodes aggregations or its buckets, multiplied down each
 * path and summed, exceed QUERY_LIMITS.aggBuckets. Without bounds histograms count one bucket each (the check
 * that can be made before the range is known).
 */
export function assertAggCost(aggs: Record<string, AggSpec>, bounds?: HistogramBounds): void {
  let nodes = 0;
  let total = 0;
  const walk = (level: Record<string, AggSpec>, path: string, parentBuckets: number) => {
    for (const [name, spec] of Object.entries(level)) {
      const here = `${path}.${name}`;
      nodes += 1;
      if (nodes > QUERY_LIMITS.aggNodes) {
        throw tooCostly('aggs', QUERY_LIMITS.aggNodes, `at most ${QUERY_LIMITS.aggNodes} aggregations in one request, sub-aggregations included`);
      }
      if (spec.type === 'cardinality') {
        total += parentBuckets;
        continue;
      }
      const own = spec.type === 'terms' ? spec.size : bounds ? histogramBuckets(spec.interval, bounds) : 1;
      const buckets = parentBuckets * own;
      total += buckets;
      if (buckets > QUERY_LIMITS.aggBuckets || total > QUERY_LIMITS.aggBuckets) {
        const field = `${here}.${spec.type === 'terms' ? 'size' : 'interval'}`;
        const what = spec.type === 'terms' ? `size ${spec.size}` : `interval ${spec.interval} over ${bounds ? describeBounds(bounds) : 'this range'} (${own} buckets)`;
        throw tooCostly(
          field,
          QUERY_LIMITS.aggBuckets,
          `${what} makes about ${total} buckets in this request, at most ${QUERY_LIMITS.aggBuckets}; ${spec.type === 'terms' ? 'ask for fewer' : 'widen the interval or narrow the time range'}`,
        );
      }
      if (spec.aggs) walk(spec.aggs, `${here}.aggs`, buckets);
    }
  };
  walk(aggs, 'aggs', 1);
}

function describeBounds(b: HistogramBounds): string {
  return `${new Date(b.fromMs).toISOString()} to ${new Date(b.toMs).toISOString()}`;
}

/** The OpenSearch aggregations for the specs (pure); checks their cost first. */
export function toAggDsl(aggs: Record<string, AggSpec>, bounds?: HistogramBounds): Record<string, unknown> {
  assertAggCost(aggs, bounds);
  return aggNodes(aggs, bounds);
}

function aggNodes(aggs: Record<string, AggSpec>, bounds: HistogramBounds | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(aggs)) {
    if (spec.type === 'cardinality') {
      out[name] = { cardinality: { field: fieldOf(spec.field) } };
      continue;
    }
    let node: Record<string, unknown>;
    if (spec.type === 'terms') {
      node = { terms: { field: fieldOf(spec.field), size: spec.size, order: [{ _count: 'desc' }, { _key: 'asc' }] } };
    } else {
      if (!bounds) throw new TrailscopeError('INTERNAL', `aggs.${name}: a histogram needs its time bounds`);
      node = { date_histogram: histogramDsl(spec.interval, bounds) };
    }
    if (spec.aggs) node.aggs = aggNodes(spec.aggs, bounds);
    out[name] = node;
  }
  return out;
}

interface RawBucket {
  key: unknown;
  key_as_string?: string;
  doc_count: number;
  [sub: string]: unknown;
}

/** Normalized results: every key a string (booleans as "true"/"false", dates as ISO-8601). */
export function readAggs(specs: Record<string, AggSpec>, raw: Record<string, unknown>): Record<string, AggResult> {
  const out: Record<string, AggResult> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const node = (raw[name] ?? {}) as { value?: number; buckets?: RawBucket[]; sum_other_doc_count?: number };
    if (spec.type === 'cardinality') {
      out[name] = { type: 'cardinality', field: fieldOf(spec.field), value: node.value ?? 0 };
      continue;
    }
    const buckets = (node.buckets ?? []).map((b): AggBucket => {
      const bucket: AggBucket = { key: b.key_as_string ?? String(b.key), count: b.doc_count };
      if (spec.aggs) bucket.aggs = readAggs(spec.aggs, b);
      return bucket;
    });
    out[name] =
      spec.type === 'terms'
        ? { type: 'terms', field: fieldOf(spec.field), buckets, otherCount: node.sum_other_doc_count ?? 0 }
        : { type: 'date_histogram', interval: spec.interval, buckets };
  }
  return out;
}

export interface AggregateOptions extends RequestLimits {
  nowMs?: number;
}

/**
 * The eventTime of the oldest event the query matches (a min aggregation over doc values), or undefined when none
 * does: the lower bound of histograms asked for without a start.
 */
async function oldestEventMs(client: OpenSearchClient, index: string, query: Dsl, limits: RequestLimits): Promise<number | undefined> {
  let body: { aggregations?: { oldest?: { value?: number | null } } };
  try {
    const res = await cancellable(client, limits, (transport) =>
      client.search(
        {
          index,
          body: { query, size: 0, track_total_hits: false, aggs: { oldest: { min: { field: FIELDS.eventTime } } }, ...searchTimeout(limits) } as never,
          ignore_unavailable: true,
          allow_no_indices: true,
        },
        transport,
      ),
    );
    body = res.body as unknown as typeof body;
  } catch (err) {
    throw toOpenSearchError(err, 'aggregate', { callerQuery: true, field: 'aggs', target: index });
  }
  const value = body.aggregations?.oldest?.value;
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * Counts by field, over time and distinct values, over exactly the events a search with the same filters returns.
 * The cost is checked before OpenSearch is asked for any bucket: histograms always cover a finite range (see
 * HistogramBounds), so an interval too fine for it is QUERY_TOO_COSTLY naming `interval`, never a cluster-wide
 * too_many_buckets.
 */
export async function aggregate(
  client: OpenSearchClient,
  names: Pick<Names, 'eventsAlias'>,
  request: AggregationRequest,
  scope: Scope,
  options: AggregateOptions = {},
): Promise<AggregationResult> {
  const nowMs = options.nowMs ?? Date.now();
  const query = toDsl(request, scope, { nowMs });
  assertAggCost(request.aggs);
  let bounds: HistogramBounds | undefined;
  if (hasHistogram(request.aggs)) {
    const range = resolveTimeRange(request, nowMs);
    const toMs = range.toMs ?? nowMs;
    const fromMs = range.fromMs ?? (await oldestEventMs(client, names.eventsAlias, query, options)) ?? toMs;
    bounds = { fromMs: Math.min(fromMs, toMs), toMs, extend: range.fromMs !== undefined && range.toMs !== undefined };
  }
  const aggs = toAggDsl(request.aggs, bounds);
  let body: { timed_out?: boolean; hits: { total?: { value: number } }; aggregations?: Record<string, unknown> };
  try {
    const res = await cancellable(client, options, (transport) =>
      client.search(
        {
          index: names.eventsAlias,
          body: { query, size: 0, track_total_hits: true, aggs, ...searchTimeout(options) } as never,
          ignore_unavailable: true,
          allow_no_indices: true,
        },
        transport,
      ),
    );
    body = res.body as unknown as typeof body;
  } catch (err) {
    throw toOpenSearchError(err, 'aggregate', { callerQuery: true, field: 'aggs', target: names.eventsAlias });
  }
  assertComplete(body, 'aggregate', options);
  return { total: body.hits.total?.value ?? 0, aggs: readAggs(request.aggs, body.aggregations ?? {}) };
}
