import { FIELDS } from '@trailscope/model';
import type { Config, OpenSearchClient } from '@trailscope/runtime';
import type { Attribution, AttributionValue } from './insight-record';
import type { InsightsConfig } from './insights-config';
import { aggregateEvents, seriesFilter } from './series-counts';
import type { InsightType, SeriesKey } from './series-key';

const TOP = 5;
const ATTRIBUTES: Array<{ attribute: Attribution['attribute']; field: string }> = [
  { attribute: 'userIdentityArn', field: FIELDS.userArn },
  { attribute: 'userAgent', field: FIELDS.userAgent },
  { attribute: 'errorCode', field: FIELDS.errorCode },
];

type Terms = Record<string, { buckets: Array<{ key: string; doc_count: number }> }>;

/**
 * The top 5 callers, user agents and error codes of one series during the insight and during its baseline, each as
 * calls per minute of that period (CloudTrail writes a call without error as the error code "null"). One search
 * with two filtered groups of terms aggregations.
 */
export async function attributionsOf(
  client: OpenSearchClient,
  config: Pick<Config, 'names'>,
  insights: Pick<InsightsConfig, 'includeReadOnly' | 'includeDataEvents'>,
  args: { type: InsightType; key: SeriesKey; insight: [number, number]; baseline: [number, number] },
): Promise<Attribution[]> {
  const k = args.key;
  const seriesTerms = [
    { term: { [FIELDS.account]: k.account } },
    { term: { [FIELDS.region]: k.region } },
    { term: { [FIELDS.eventSource]: k.eventSource } },
    { term: { [FIELDS.eventName]: k.eventName } },
    ...(k.errorCode !== undefined ? [{ term: { [FIELDS.errorCode]: k.errorCode } }] : []),
  ];
  const terms = Object.fromEntries(
    ATTRIBUTES.map((a) => [a.attribute, { terms: { field: a.field, size: TOP, ...(a.attribute === 'errorCode' ? { missing: 'null' } : {}) } }]),
  );
  const period = ([from, to]: [number, number]) => ({
    filter: { bool: { filter: [seriesFilter(args.type, insights, {}, from, to), ...seriesTerms] } },
    aggs: terms,
  });
  const aggs = await aggregateEvents<{ insight: Terms; baseline: Terms }>(
    client,
    config,
    {
      query: { range: { [FIELDS.eventTime]: { gte: Math.min(args.insight[0], args.baseline[0]), lt: Math.max(args.insight[1], args.baseline[1]), format: 'epoch_millis' } } },
      aggs: { insight: period(args.insight), baseline: period(args.baseline) },
    },
    `reading the attributions of an insight from ${config.names.eventsAlias}`,
  );
  const minutes = ([from, to]: [number, number]) => Math.max(1, (to - from) / 60_000);
  const values = (t: Terms, attribute: string, m: number): AttributionValue[] =>
    (t[attribute]?.buckets ?? []).map((b) => ({ value: String(b.key), average: b.doc_count / m }));
  return ATTRIBUTES.map(({ attribute }) => ({
    attribute,
    insight: values(aggs.insight, attribute, minutes(args.insight)),
    baseline: values(aggs.baseline, attribute, minutes(args.baseline)),
  }));
}
