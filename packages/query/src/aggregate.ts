import type { OpenSearchClient } from '@trailscope/runtime';
import { FIELDS, TrailscopeError, type Names } from '@trailscope/model';
import type { AggregationRequest, AggSpec } from './aggregation-request';
import { CALENDAR_INTERVALS, FIXED_INTERVAL_RE } from './aggregation-request';
import type { Scope } from './scope';
import { aggregatableField } from './fields';
import { resolveTimeRange, toDsl, type EventTimeRange } from './to-dsl';
import { toOpenSearchError } from '@trailscope/runtime';

export const MAX_HISTOGRAM_BUCKETS = 10_000;

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

function histogramDsl(interval: string, range: EventTimeRange): Record<string, unknown> {
  const fixed = FIXED_INTERVAL_RE.exec(interval);
  const calendar = CALENDAR_INTERVALS[interval];
  const stepMs = fixed ? Number(fixed[1]) * (UNIT_MS[fixed[2] as string] as number) : (CALENDAR_MS[calendar as string] as number);
  const dsl: Record<string, unknown> = {
    field: FIELDS.eventTime,
    ...(fixed ? { fixed_interval: interval } : { calendar_interval: calendar }),
    time_zone: 'UTC',
    format: 'strict_date_optional_time',
    min_doc_count: 0,
  };
  if (range.fromMs !== undefined && range.toMs !== undefined) {
    const buckets = Math.ceil((range.toMs - range.fromMs + 1) / stepMs);
    if (buckets > MAX_HISTOGRAM_BUCKETS) {
      throw new TrailscopeError(
        'VALIDATION_FAILED',
        `aggs: interval ${interval} over this time range makes ${buckets} buckets (at most ${MAX_HISTOGRAM_BUCKETS}); widen the interval`,
        { context: { field: 'aggs' } },
      );
    }
    // empty buckets at the edges keep charts on the requested axis
    dsl.extended_bounds = { min: range.fromMs, max: range.toMs };
  }
  return dsl;
}

/** The OpenSearch aggregations for the specs (pure). */
export function toAggDsl(aggs: Record<string, AggSpec>, range: EventTimeRange): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(aggs)) {
    if (spec.type === 'cardinality') {
      out[name] = { cardinality: { field: fieldOf(spec.field) } };
      continue;
    }
    const node: Record<string, unknown> =
      spec.type === 'terms'
        ? { terms: { field: fieldOf(spec.field), size: spec.size, order: [{ _count: 'desc' }, { _key: 'asc' }] } }
        : { date_histogram: histogramDsl(spec.interval, range) };
    if (spec.aggs) node.aggs = toAggDsl(spec.aggs, range);
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

/** Counts by field, over time and distinct values, over exactly the events a search with the same filters returns. */
export async function aggregate(
  client: OpenSearchClient,
  names: Pick<Names, 'eventsAlias'>,
  request: AggregationRequest,
  scope: Scope,
  options: { nowMs?: number } = {},
): Promise<AggregationResult> {
  const nowMs = options.nowMs ?? Date.now();
  const query = toDsl(request, scope, { nowMs });
  const aggs = toAggDsl(request.aggs, resolveTimeRange(request, nowMs));
  let body: { hits: { total?: { value: number } }; aggregations?: Record<string, unknown> };
  try {
    const res = await client.search({
      index: names.eventsAlias,
      body: { query, size: 0, track_total_hits: true, aggs } as never,
      ignore_unavailable: true,
      allow_no_indices: true,
    });
    body = res.body as unknown as typeof body;
  } catch (err) {
    throw toOpenSearchError(err, 'aggregate', { callerQuery: true, field: 'aggs', target: names.eventsAlias });
  }
  return { total: body.hits.total?.value ?? 0, aggs: readAggs(request.aggs, body.aggregations ?? {}) };
}
