import type { BulkStats, BulkWriter } from '@trailscope/indexer';
import { TrailscopeError } from '@trailscope/model';
import type { Config, Logger, OpenSearchClient } from '@trailscope/runtime';
import { attributionsOf } from './attributions';
import { baselineStartMs, DAY_MS, HOUR_MS, hourBaseline, MINUTE_MS, type HourBaseline, type HourlyCounts } from './baseline';
import { CusumDetector, type DetectorEvent } from './cusum-detector';
import { insightDoc, insightRecord } from './insight-record';
import type { InsightsConfig } from './insights-config';
import { seriesCounts, type Scope, type SeriesCounts } from './series-counts';
import type { InsightType, SeriesKey } from './series-key';

export const INSIGHT_TYPES: InsightType[] = ['ApiCallRateInsight', 'ApiErrorRateInsight'];

export interface RunInsightsDeps {
  opensearch: OpenSearchClient;
  config: Pick<Config, 'names'>;
  insights: InsightsConfig;
  logger: Logger;
  /** Where records go; absent for a dry run. */
  writer?: BulkWriter;
}

export interface RunInsightsOptions extends Scope {
  fromMs: number;
  toMs: number;
  /** Default: the configured chunkMinutes, which bounds the buckets of one request and the memory of one step. */
  chunkMinutes?: number;
  signal?: AbortSignal;
  /** Each record, as it is found (a dry run prints them). */
  onRecord?: (record: Record<string, unknown>) => void;
  /** After each chunk is analysed and its records acknowledged: the end of the minutes done. */
  onChunkDone?: (doneToMs: number) => Promise<void> | void;
}

export interface RunInsightsResult {
  starts: number;
  ends: number;
  /** Series analysed (with calls in the range, or an insight going on). */
  series: number;
  minutes: number;
  write?: BulkStats;
}

function floorTo(ms: number, unit: number): number {
  return Math.floor(ms / unit) * unit;
}

/**
 * Hours of counts one hourly aggregation reads past the chunk that needs it, for the chunks after it: a week's run
 * then reads its baseline days about twice instead of once per chunk. A baseline only ever looks at hours before its
 * own, so hours read ahead change nothing.
 */
const HOURLY_AHEAD_MS = 7 * DAY_MS;

interface HourlyCache {
  fromMs: number;
  toMs: number;
  counts: Map<string, SeriesCounts>;
}

interface SeriesState {
  key: SeriesKey;
  detector: CusumDetector<HourBaseline>;
}

/**
 * Computes the Insights of [fromMs, toMs) (whole minutes) and writes their records. Chunk by chunk: the hourly
 * counts of each series over its baseline, then its per-minute counts, fed to one CUSUM detector per series whose
 * state carries over from chunk to chunk; a detected start or end becomes a record (with attributions read for that
 * insight only). Starting later than an insight began (a resumed run, the live job's window) can only see it start
 * later: its records are then those of another insight (another sharedEventID), which the README states.
 */
export async function runInsights(deps: RunInsightsDeps, options: RunInsightsOptions): Promise<RunInsightsResult> {
  const { insights, logger } = deps;
  const fromMs = floorTo(options.fromMs, MINUTE_MS);
  const toMs = floorTo(options.toMs, MINUTE_MS);
  if (!(toMs > fromMs)) throw new TrailscopeError('USAGE', `the insights range is empty: from ${new Date(fromMs).toISOString()} to ${new Date(toMs).toISOString()}`);
  const chunkMs = (options.chunkMinutes ?? insights.chunkMinutes) * MINUTE_MS;
  const scope: Scope = { accounts: options.accounts, regions: options.regions };
  const result: RunInsightsResult = { starts: 0, ends: 0, series: 0, minutes: (toMs - fromMs) / MINUTE_MS };
  const states = new Map<InsightType, Map<string, SeriesState>>(INSIGHT_TYPES.map((t) => [t, new Map()]));
  const hourlyCaches = new Map<InsightType, HourlyCache>();
  const seen = new Set<string>();
  const ingestedAt = new Date().toISOString();

  for (let a = fromMs; a < toMs; a += chunkMs) {
    if (options.signal?.aborted) break;
    const b = Math.min(toMs, a + chunkMs);
    for (const type of INSIGHT_TYPES) {
      const events = await analyseChunk(deps, type, scope, a, b, toMs, states.get(type)!, hourlyCaches, seen);
      for (const { key, event, baseline } of events) {
        const startHour = floorTo(event.startMs, HOUR_MS);
        const insightEnd = event.state === 'Start' ? event.alarmMs + MINUTE_MS : event.endMs;
        const attributions = await attributionsOf(deps.opensearch, deps.config, insights, {
          type,
          key,
          insight: [event.startMs, insightEnd],
          baseline: [startHour - insights.baselineDays * DAY_MS, startHour],
        });
        const record = insightRecord({
          insightType: type,
          key,
          event,
          baselineAverage: baseline.averagePerMinute,
          baselineDurationMinutes: insights.baselineDays * 1440,
          attributions,
        });
        if (event.state === 'Start') result.starts++;
        else result.ends++;
        options.onRecord?.(record);
        if (deps.writer) {
          const doc = insightDoc(record, ingestedAt);
          await deps.writer.add(doc.id, doc);
        }
      }
    }
    if (deps.writer) result.write = await deps.writer.flush();
    await options.onChunkDone?.(b);
  }
  result.series = seen.size;
  logger.info({ fromMs, toMs, starts: result.starts, ends: result.ends, series: result.series }, 'insights computed');
  return result;
}

async function analyseChunk(
  deps: RunInsightsDeps,
  type: InsightType,
  scope: Scope,
  a: number,
  b: number,
  runToMs: number,
  states: Map<string, SeriesState>,
  hourlyCaches: Map<InsightType, HourlyCache>,
  seen: Set<string>,
): Promise<Array<{ key: SeriesKey; event: DetectorEvent; baseline: HourBaseline }>> {
  const { insights } = deps;
  const minutes = await seriesCounts(deps.opensearch, deps.config, insights, { type, scope, fromMs: a, toMs: b, interval: '1m' });
  // Nothing called and nothing going on: no baseline to read (a quiet store's live tick costs one search per type).
  if (minutes.size === 0 && ![...states.values()].some((s) => s.detector.active)) return [];
  const needFrom = baselineStartMs(floorTo(a, HOUR_MS), insights.baselineDays);
  const needTo = floorTo(b - 1, HOUR_MS) + HOUR_MS;
  let cache = hourlyCaches.get(type);
  if (!cache || cache.fromMs > needFrom || cache.toMs < needTo) {
    const aheadTo = Math.max(needTo, Math.min(floorTo(runToMs - 1, HOUR_MS) + HOUR_MS, needTo + HOURLY_AHEAD_MS));
    cache = { fromMs: needFrom, toMs: aheadTo, counts: await seriesCounts(deps.opensearch, deps.config, insights, { type, scope, fromMs: needFrom, toMs: aheadTo, interval: '1h' }) };
    hourlyCaches.set(type, cache);
  }
  const hourly = cache.counts;
  const out: Array<{ key: SeriesKey; event: DetectorEvent; baseline: HourBaseline }> = [];
  const ids = new Set<string>([...minutes.keys(), ...[...states].filter(([, s]) => s.detector.active).map(([id]) => id)]);
  for (const id of ids) {
    seen.add(id);
    const counts = minutes.get(id)?.counts;
    let state = states.get(id);
    if (!state) {
      state = { key: minutes.get(id)!.key, detector: new CusumDetector<HourBaseline>(insights) };
      states.set(id, state);
    }
    const hours: HourlyCounts = hourly.get(id)?.counts ?? new Map();
    const baselines = new Map<number, HourBaseline>();
    const baselineOf = (ms: number): HourBaseline => {
      const h = floorTo(ms, HOUR_MS);
      let v = baselines.get(h);
      if (!v) baselines.set(h, (v = hourBaseline(h, hours, insights)));
      return v;
    };
    // An idle detector stays idle through minutes without calls: start at the first minute with calls.
    let t = a;
    if (!state.detector.active && counts) t = Math.max(a, Math.min(...counts.keys()));
    for (; t < b; t += MINUTE_MS) {
      const base = baselineOf(t);
      const event = state.detector.step(t, counts?.get(t) ?? 0, base.expectedPerMinute, base);
      if (event) out.push({ key: state.key, event, baseline: event.startTag });
    }
    if (!state.detector.active) states.delete(id);
  }
  return out;
}
