import { FIELDS, TrailscopeError } from '@trailscope/model';
import { toOpenSearchError, type Config, type OpenSearchClient } from '@trailscope/runtime';
import type { InsightsConfig } from './insights-config';
import type { InsightType, SeriesKey } from './series-key';
import { seriesId } from './series-key';

/** Buckets one aggregation page may return (keys × time buckets), under OpenSearch's default search.max_buckets. */
const MAX_BUCKETS_PER_PAGE = 40_000;
/** Composite buckets of one page at most, however few time buckets each holds (the response's size). */
const MAX_COMPOSITE_PAGE = 10_000;

export interface Scope {
  accounts?: string[];
  regions?: string[];
}

/** The events a series counts: write management calls by default, failed ones only for the error-rate type. */
export function seriesFilter(type: InsightType, insights: Pick<InsightsConfig, 'includeReadOnly' | 'includeDataEvents'>, scope: Scope, fromMs: number, toMs: number): Record<string, unknown> {
  const filter: unknown[] = [{ range: { [FIELDS.eventTime]: { gte: fromMs, lt: toMs, format: 'epoch_millis' } } }];
  if (!insights.includeReadOnly) filter.push({ term: { [FIELDS.readOnly]: false } });
  if (type === 'ApiErrorRateInsight') filter.push({ exists: { field: FIELDS.errorCode } });
  if (scope.accounts?.length) filter.push({ terms: { [FIELDS.account]: scope.accounts } });
  if (scope.regions?.length) filter.push({ terms: { [FIELDS.region]: scope.regions } });
  const excluded = ['Insight', 'NetworkActivity'];
  if (!insights.includeDataEvents) excluded.push('Data');
  return {
    bool: {
      filter,
      must_not: [{ terms: { [FIELDS.eventCategory]: excluded } }, { term: { [FIELDS.eventType]: 'AwsCloudTrailInsight' } }],
    },
  };
}

/**
 * One size-0 search of the events alias for aggregations only, missing indices read as no events; `what` is the
 * error's description of the read. Returns the response's aggregations.
 */
export async function aggregateEvents<T>(
  client: OpenSearchClient,
  config: Pick<Config, 'names'>,
  body: { query: Record<string, unknown>; aggs: Record<string, unknown> },
  what: string,
): Promise<T> {
  const index = config.names.eventsAlias;
  try {
    const res = await client.search({
      index,
      ignore_unavailable: true,
      allow_no_indices: true,
      body: { size: 0, track_total_hits: false, query: body.query, aggs: body.aggs } as never,
    });
    return res.body.aggregations as T;
  } catch (err) {
    throw toOpenSearchError(err, what, { target: index });
  }
}

/**
 * The composite keys of both series types at once: the four keys of a call-rate series, then the error code, whose
 * `null` bucket holds the calls without one. A call-rate series sums the buckets of its four keys; an error-rate
 * series is one bucket with an error code. One aggregation then counts both types.
 */
const COMPOSITE_SOURCES: Array<Record<string, { terms: { field: string; missing_bucket?: boolean } }>> = [
  { account: { terms: { field: FIELDS.account } } },
  { region: { terms: { field: FIELDS.region } } },
  { eventSource: { terms: { field: FIELDS.eventSource } } },
  { eventName: { terms: { field: FIELDS.eventName } } },
  { errorCode: { terms: { field: FIELDS.errorCode, missing_bucket: true } } },
];

export interface SeriesCounts {
  key: SeriesKey;
  /** Count per bucket start (epoch ms); empty buckets are absent. */
  counts: Map<number, number>;
}

/** The series of each type, by seriesId. */
export type CountsByType = Record<InsightType, Map<string, SeriesCounts>>;

interface CompositeBucket {
  key: Record<string, string | null>;
  per: { buckets: Array<{ key: number; doc_count: number }> };
}

/**
 * Composite buckets a page of `slots` time buckets per series may hold when every series has calls in every slot:
 * the page size that is safe whatever the data.
 */
export function densePageSize(slots: number): number {
  return Math.max(1, Math.min(1000, Math.floor(MAX_BUCKETS_PER_PAGE / (slots + 1))));
}

/**
 * The largest page size whose buckets stay within one page's limit, given an upper bound of the time buckets each
 * composite bucket can have (its calls, or its slots when fewer): the largest bounds are counted first, so the page
 * fits whichever series it holds. One more than the series known when they all fit, so that the page holding the
 * last of them ends the paging.
 */
export function boundedPageSize(bounds: number[], slots: number): number {
  const sorted = bounds.map((n) => 1 + Math.min(slots, n)).sort((x, y) => y - x);
  let total = 0;
  let size = 0;
  for (const b of sorted) {
    if (total + b > MAX_BUCKETS_PER_PAGE) break;
    total += b;
    size++;
  }
  if (size === sorted.length) size++;
  return Math.max(densePageSize(slots), Math.min(MAX_COMPOSITE_PAGE, size));
}

/**
 * Counts per series and time bucket (`1m` or `1h`) over [fromMs, toMs), of both types: one composite aggregation
 * over the series keys (error code included) with a date histogram under each key, paged by after_key. Bucket
 * counts come from the index, never from reading the events. `pageSize` (default: safe for dense series) is the
 * composite buckets per page; a page over the cluster's bucket limit all the same (events written since the bound
 * was taken) is asked again at the dense size.
 */
export async function seriesCounts(
  client: OpenSearchClient,
  config: Pick<Config, 'names'>,
  insights: Pick<InsightsConfig, 'includeReadOnly' | 'includeDataEvents'>,
  args: { scope: Scope; fromMs: number; toMs: number; interval: '1m' | '1h'; pageSize?: number },
): Promise<CountsByType> {
  const out: CountsByType = { ApiCallRateInsight: new Map(), ApiErrorRateInsight: new Map() };
  if (args.toMs <= args.fromMs) return out;
  const bucketMs = args.interval === '1m' ? 60_000 : 3_600_000;
  const dense = densePageSize(Math.ceil((args.toMs - args.fromMs) / bucketMs) + 1);
  let size = Math.max(dense, args.pageSize ?? dense);
  let after: Record<string, string | null> | undefined;
  for (;;) {
    let aggregations: { series?: { buckets: CompositeBucket[]; after_key?: Record<string, string | null> } } | undefined;
    try {
      aggregations = await aggregateEvents(
        client,
        config,
        {
          query: seriesFilter('ApiCallRateInsight', insights, args.scope, args.fromMs, args.toMs),
          aggs: {
            series: {
              composite: { size, sources: COMPOSITE_SOURCES, ...(after ? { after } : {}) },
              aggs: { per: { date_histogram: { field: FIELDS.eventTime, fixed_interval: args.interval, min_doc_count: 1 } } },
            },
          },
        },
        `counting Insights series in ${config.names.eventsAlias}`,
      );
    } catch (err) {
      if (size > dense && err instanceof TrailscopeError && err.code === 'QUERY_TOO_COSTLY') {
        // The bound missed events written since it was read: the page is asked again at the size safe for any data.
        size = dense;
        continue;
      }
      throw err;
    }
    const agg = aggregations?.series;
    const buckets = agg?.buckets ?? [];
    for (const b of buckets) {
      const key: SeriesKey = { account: b.key.account!, region: b.key.region!, eventSource: b.key.eventSource!, eventName: b.key.eventName! };
      const id = seriesId(key);
      let calls = out.ApiCallRateInsight.get(id);
      if (!calls) out.ApiCallRateInsight.set(id, (calls = { key, counts: new Map() }));
      const errorCode = b.key.errorCode;
      const errors = errorCode === null || errorCode === undefined ? undefined : { key: { ...key, errorCode }, counts: new Map<number, number>() };
      for (const t of b.per.buckets) {
        calls.counts.set(t.key, (calls.counts.get(t.key) ?? 0) + t.doc_count);
        errors?.counts.set(t.key, t.doc_count);
      }
      if (errors) out.ApiErrorRateInsight.set(seriesId(errors.key), errors);
    }
    if (buckets.length < size || !agg?.after_key) return out;
    after = agg.after_key;
  }
}
