import type { BulkStats, BulkWriter } from '@trailscope/indexer';
import { TrailscopeError } from '@trailscope/model';
import type { Config, Logger, OpenSearchClient } from '@trailscope/runtime';
import { attributionsOf } from './attributions';
import { baselineStartMs, DAY_MS, HOUR_MS, hourBaseline, MINUTE_MS, type HourBaseline, type HourlyCounts } from './baseline';
import { CusumDetector, type DetectorEvent } from './cusum-detector';
import { insightDoc, insightRecord } from './insight-record';
import type { InsightsConfig } from './insights-config';
import { boundedPageSize, seriesCounts, type CountsByType, type Scope, type SeriesCounts } from './series-counts';
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
 * then reads its baseline days about once instead of once per chunk. A baseline only ever looks at hours before its
 * own, so hours read ahead change nothing.
 */
const HOURLY_AHEAD_MS = 7 * DAY_MS;

/**
 * Per-minute counts one chunk may hold at most, by the bound its hourly counts give (in each hour, a series has calls
 * in at most as many minutes as it has calls, and 60): a chunk of many busy series is cut short of chunkMinutes, at
 * whole hours, so the memory of one step stays bounded whatever the data.
 */
const MAX_MINUTE_COUNTS_PER_CHUNK = 200_000;

interface HourlyCache {
  fromMs: number;
  toMs: number;
  counts: CountsByType;
}

interface SeriesState {
  key: SeriesKey;
  detector: CusumDetector<HourBaseline>;
}

type Found = Array<{ key: SeriesKey; event: DetectorEvent; baseline: HourBaseline }>;

/**
 * Computes the Insights of [fromMs, toMs) (whole minutes) and writes their records. Chunk by chunk: the hourly
 * counts of each series over its baseline, then its per-minute counts, fed to one CUSUM detector per series whose
 * state carries over from chunk to chunk; a detected start or end becomes a record (with attributions read for that
 * insight only). One aggregation counts the series of both types (see seriesCounts), and the hourly counts, read
 * first, bound the per-minute counts of a chunk: they size its pages and cut it short when it would hold too many.
 * Starting later than an insight began (a resumed run, the live job's window) can only see it start later: its
 * records are then those of another insight (another sharedEventID), which the README states.
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
  let hourlyCache: HourlyCache | undefined;
  const seen = new Set<string>();
  const ingestedAt = new Date().toISOString();

  for (let a = fromMs; a < toMs; ) {
    if (options.signal?.aborted) break;
    const longest = Math.min(toMs, a + chunkMs);
    const needFrom = baselineStartMs(floorTo(a, HOUR_MS), insights.baselineDays);
    const needTo = floorTo(longest - 1, HOUR_MS) + HOUR_MS;
    if (!hourlyCache || hourlyCache.fromMs > needFrom || hourlyCache.toMs < needTo) {
      const aheadTo = Math.max(needTo, Math.min(floorTo(toMs - 1, HOUR_MS) + HOUR_MS, needTo + HOURLY_AHEAD_MS));
      hourlyCache = { fromMs: needFrom, toMs: aheadTo, counts: await seriesCounts(deps.opensearch, deps.config, insights, { scope, fromMs: needFrom, toMs: aheadTo, interval: '1h' }) };
    }
    const hourly = hourlyCache.counts;
    const b = chunkEnd(hourly, a, longest);
    const slots = (b - a) / MINUTE_MS;
    const bounds: number[] = [];
    for (const type of INSIGHT_TYPES) {
      for (const s of hourly[type].values()) {
        const n = callsIn(s.counts, a, b);
        if (n > 0) bounds.push(n);
      }
    }
    const minutes = await seriesCounts(deps.opensearch, deps.config, insights, { scope, fromMs: a, toMs: b, interval: '1m', pageSize: boundedPageSize(bounds, slots) });
    for (const type of INSIGHT_TYPES) {
      const events = analyseChunk(insights, a, b, minutes[type], hourly[type], states.get(type)!, seen);
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
    a = b;
  }
  result.series = seen.size;
  logger.info({ fromMs, toMs, starts: result.starts, ends: result.ends, series: result.series }, 'insights computed');
  return result;
}

/** Calls of one series in the hours that [a, b) touches. */
function callsIn(hours: HourlyCounts, a: number, b: number): number {
  let n = 0;
  for (let h = floorTo(a, HOUR_MS); h < b; h += HOUR_MS) n += hours.get(h) ?? 0;
  return n;
}

/**
 * Where the chunk starting at `a` ends: at `longest`, or at an earlier whole hour (one hour at least) when the hours
 * before `longest` bound more per-minute counts than one chunk holds.
 */
function chunkEnd(hourly: CountsByType, a: number, longest: number): number {
  const first = floorTo(a, HOUR_MS);
  const perHour = new Map<number, number>();
  for (const type of INSIGHT_TYPES) {
    for (const s of hourly[type].values()) {
      for (const [h, n] of s.counts) if (h >= first && h < longest) perHour.set(h, (perHour.get(h) ?? 0) + Math.min(60, n));
    }
  }
  let total = perHour.get(first) ?? 0;
  let b = first + HOUR_MS;
  for (; b < longest; b += HOUR_MS) {
    const n = perHour.get(b) ?? 0;
    if (total + n > MAX_MINUTE_COUNTS_PER_CHUNK) break;
    total += n;
  }
  return Math.min(b, longest);
}

/** Feeds the minutes [a, b) of each series with calls (or an insight going on) to its detector. */
function analyseChunk(
  insights: InsightsConfig,
  a: number,
  b: number,
  minutes: Map<string, SeriesCounts>,
  hourly: Map<string, SeriesCounts>,
  states: Map<string, SeriesState>,
  seen: Set<string>,
): Found {
  const out: Found = [];
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
    // An idle detector stays idle through minutes without calls: while it is, go straight to the next minute with
    // calls (a sparse series then costs its busy minutes, not every minute of the chunk).
    const times = counts ? [...counts.keys()].sort((x, y) => x - y) : [];
    let next = 0;
    for (let t = a; t < b; t += MINUTE_MS) {
      if (!state.detector.active) {
        while (next < times.length && times[next]! < t) next++;
        if (next === times.length) break;
        t = times[next]!;
      }
      const base = baselineOf(t);
      const event = state.detector.step(t, counts?.get(t) ?? 0, base.expectedPerMinute, base);
      if (event) out.push({ key: state.key, event, baseline: event.startTag });
    }
    if (!state.detector.active) states.delete(id);
  }
  return out;
}
