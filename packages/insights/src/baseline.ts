import type { InsightsConfig } from './insights-config';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** Calls per UTC hour of one series, keyed by the hour's start (epoch ms). Hours without calls are absent. */
export type HourlyCounts = Map<number, number>;

export interface HourBaseline {
  /** The rate per minute the model expects in this hour (seasonal, floored). */
  expectedPerMinute: number;
  /** Mean calls per minute over the whole baseline before this hour (what CloudTrail reports as baseline.average). */
  averagePerMinute: number;
}

/**
 * The baseline of one hour H from the `baselineDays` days before it. The expected rate is the highest of three
 * seasonal means: the same hour of day and its two neighbours, each averaged over those days. Busy hours are then
 * compared with busy hours (a daily cycle raises no alarm), and taking the neighbours' maximum keeps the ramp of
 * the cycle inside one hour from reading as a rise. Means over several days, not the last day alone, so that one
 * unusual day neither masks nor causes an insight the next.
 */
export function hourBaseline(hourMs: number, hourly: HourlyCounts, config: Pick<InsightsConfig, 'baselineDays' | 'minBaselinePerMinute'>): HourBaseline {
  const days = config.baselineDays;
  let best = 0;
  for (const k of [-1, 0, 1]) {
    let sum = 0;
    for (let d = 1; d <= days; d++) sum += hourly.get(hourMs - d * DAY_MS + k * HOUR_MS) ?? 0;
    best = Math.max(best, sum / days / 60);
  }
  let total = 0;
  const from = hourMs - days * DAY_MS;
  for (const [h, n] of hourly) if (h >= from && h < hourMs) total += n;
  return { expectedPerMinute: Math.max(best, config.minBaselinePerMinute), averagePerMinute: total / (days * 1440) };
}

/** The first hour whose count any hour in [fromMs, toMs) needs for its baseline. */
export function baselineStartMs(fromMs: number, baselineDays: number): number {
  return fromMs - baselineDays * DAY_MS - HOUR_MS;
}
