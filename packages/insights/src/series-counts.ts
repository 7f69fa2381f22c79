import { FIELDS } from '@trailscope/model';
import { toOpenSearchError, type Config, type OpenSearchClient } from '@trailscope/runtime';
import type { InsightsConfig } from './insights-config';
import type { InsightType, SeriesKey } from './series-key';
import { seriesId } from './series-key';

/** Buckets one aggregation page may return (keys × time buckets), under OpenSearch's default search.max_buckets. */
const MAX_BUCKETS_PER_PAGE = 40_000;

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

function compositeSources(type: InsightType): Array<Record<string, { terms: { field: string } }>> {
  const sources: Array<Record<string, { terms: { field: string } }>> = [
    { account: { terms: { field: FIELDS.account } } },
    { region: { terms: { field: FIELDS.region } } },
    { eventSource: { terms: { field: FIELDS.eventSource } } },
    { eventName: { terms: { field: FIELDS.eventName } } },
  ];
  if (type === 'ApiErrorRateInsight') sources.push({ errorCode: { terms: { field: FIELDS.errorCode } } });
  return sources;
}

export interface SeriesCounts {
  key: SeriesKey;
  /** Count per bucket start (epoch ms); empty buckets are absent. */
  counts: Map<number, number>;
}

interface CompositeBucket {
  key: Record<string, string>;
  per: { buckets: Array<{ key: number; doc_count: number }> };
}

/**
 * Counts per series and time bucket (`1m` or `1h`) over [fromMs, toMs): one composite aggregation over the series
 * keys with a date histogram under each key, paged by after_key. Bucket counts come from the index, never from
 * reading the events.
 */
export async function seriesCounts(
  client: OpenSearchClient,
  config: Pick<Config, 'names'>,
  insights: Pick<InsightsConfig, 'includeReadOnly' | 'includeDataEvents'>,
  args: { type: InsightType; scope: Scope; fromMs: number; toMs: number; interval: '1m' | '1h' },
): Promise<Map<string, SeriesCounts>> {
  const out = new Map<string, SeriesCounts>();
  if (args.toMs <= args.fromMs) return out;
  const bucketMs = args.interval === '1m' ? 60_000 : 3_600_000;
  const slots = Math.ceil((args.toMs - args.fromMs) / bucketMs) + 1;
  const size = Math.max(1, Math.min(1000, Math.floor(MAX_BUCKETS_PER_PAGE / slots)));
  let after: Record<string, string> | undefined;
  for (;;) {
    const aggregations = await aggregateEvents<{ series?: { buckets: CompositeBucket[]; after_key?: Record<string, string> } } | undefined>(
      client,
      config,
      {
        query: seriesFilter(args.type, insights, args.scope, args.fromMs, args.toMs),
        aggs: {
          series: {
            composite: { size, sources: compositeSources(args.type), ...(after ? { after } : {}) },
            aggs: { per: { date_histogram: { field: FIELDS.eventTime, fixed_interval: args.interval, min_doc_count: 1 } } },
          },
        },
      },
      `counting ${args.type} series in ${config.names.eventsAlias}`,
    );
    const agg = aggregations?.series;
    const buckets = agg?.buckets ?? [];
    for (const b of buckets) {
      const key: SeriesKey = { account: b.key.account!, region: b.key.region!, eventSource: b.key.eventSource!, eventName: b.key.eventName! };
      if (b.key.errorCode !== undefined) key.errorCode = b.key.errorCode;
      const counts = new Map<number, number>();
      for (const t of b.per.buckets) counts.set(t.key, t.doc_count);
      out.set(seriesId(key), { key, counts });
    }
    if (buckets.length < size || !agg?.after_key) return out;
    after = agg.after_key;
  }
}
