import { z } from 'zod';
import { TrailscopeError } from '@trailscope/model';

/**
 * Thresholds of the Insights model and the live schedule. Every value has a default chosen from the measurements in
 * the README (section "CloudTrail Insights computed by trailscope"); each can be set by its environment variable.
 */
export interface InsightsConfig {
  /** Days of history before each hour that form its baseline (AWS: 7). */
  baselineDays: number;
  /**
   * The rate ratio the CUSUM is tuned to detect: each call adds ln(ratio), each minute subtracts
   * expected × (ratio − 1). Rates above about 0.46 × ratio × expected make the statistic grow.
   */
  designRatio: number;
  /** CUSUM threshold (log-likelihood ratio) at which an insight starts. */
  threshold: number;
  /** Calls (or errors) since the change point an insight needs at least. */
  minCount: number;
  /** Minutes from the change point to the alarm an insight needs at least. */
  minDurationMinutes: number;
  /** An insight ends after this many consecutive minutes each at most endRatio × expected. */
  endQuietMinutes: number;
  endRatio: number;
  /** Lowest expected rate per minute, for an API without baseline (a new API). */
  minBaselinePerMinute: number;
  /** Also compute insights over read-only APIs (CloudTrail Insights covers write APIs). */
  includeReadOnly: boolean;
  /** Also compute insights over data events (CloudTrail Insights covers management events). */
  includeDataEvents: boolean;
  /** Minutes the live job waits for CloudTrail's delivery delay before it counts a minute as complete. */
  delayMinutes: number;
  /** Minutes the live job analyses again on each run (its state is rebuilt from them). */
  lookbackMinutes: number;
  /** How often the live job runs. */
  everyMs: number;
  /**
   * Minutes analysed per aggregation at most (and between two checkpoints of `insights run`); fewer, at whole hours,
   * when the hourly counts bound more per-minute counts than one chunk holds.
   */
  chunkMinutes: number;
  /** Whether `trailscope worker` processes take part in the live job (`insights schedule` always does). */
  live: boolean;
}

const int = (name: string, def: number, min: number) =>
  z.coerce.number({ error: `${name} must be a number` }).int(`${name} must be an integer`).min(min, `${name} must be at least ${min}`).default(def);
const num = (name: string, def: number, min: number) =>
  z.coerce.number({ error: `${name} must be a number` }).min(min, `${name} must be at least ${min}`).default(def);
const flag = (def: 'true' | 'false') => z.enum(['true', 'false']).default(def);

const EnvSchema = z.object({
  TRAILSCOPE_INSIGHTS_BASELINE_DAYS: int('TRAILSCOPE_INSIGHTS_BASELINE_DAYS', 7, 1),
  TRAILSCOPE_INSIGHTS_DESIGN_RATIO: num('TRAILSCOPE_INSIGHTS_DESIGN_RATIO', 4, 1.5),
  TRAILSCOPE_INSIGHTS_THRESHOLD: num('TRAILSCOPE_INSIGHTS_THRESHOLD', 14, 1),
  TRAILSCOPE_INSIGHTS_MIN_COUNT: int('TRAILSCOPE_INSIGHTS_MIN_COUNT', 10, 1),
  TRAILSCOPE_INSIGHTS_MIN_DURATION_MINUTES: int('TRAILSCOPE_INSIGHTS_MIN_DURATION_MINUTES', 2, 1),
  TRAILSCOPE_INSIGHTS_END_QUIET_MINUTES: int('TRAILSCOPE_INSIGHTS_END_QUIET_MINUTES', 3, 1),
  TRAILSCOPE_INSIGHTS_END_RATIO: num('TRAILSCOPE_INSIGHTS_END_RATIO', 2, 1),
  TRAILSCOPE_INSIGHTS_MIN_BASELINE_PER_MINUTE: num('TRAILSCOPE_INSIGHTS_MIN_BASELINE_PER_MINUTE', 0.001, 0.000001),
  TRAILSCOPE_INSIGHTS_READ_APIS: flag('false'),
  TRAILSCOPE_INSIGHTS_DATA_EVENTS: flag('false'),
  TRAILSCOPE_INSIGHTS_LIVE: flag('true'),
  TRAILSCOPE_INSIGHTS_DELAY_MINUTES: int('TRAILSCOPE_INSIGHTS_DELAY_MINUTES', 15, 0),
  TRAILSCOPE_INSIGHTS_LOOKBACK_MINUTES: int('TRAILSCOPE_INSIGHTS_LOOKBACK_MINUTES', 360, 10),
  TRAILSCOPE_INSIGHTS_EVERY_MS: int('TRAILSCOPE_INSIGHTS_EVERY_MS', 60000, 1000),
  TRAILSCOPE_INSIGHTS_CHUNK_MINUTES: int('TRAILSCOPE_INSIGHTS_CHUNK_MINUTES', 1440, 10),
});

/** The Insights settings from environment variables; every invalid one is named in a single CONFIG_INVALID. */
export function loadInsightsConfig(env: Record<string, string | undefined> = process.env): InsightsConfig {
  const picked: Record<string, string> = {};
  for (const k of Object.keys(EnvSchema.shape)) {
    const v = env[k];
    if (v !== undefined && v !== '') picked[k] = v;
  }
  const r = EnvSchema.safeParse(picked);
  if (!r.success) {
    const msgs = r.error.issues.map((i) => `${String(i.path[0])}=${JSON.stringify(picked[String(i.path[0])])}: ${i.message}`);
    throw new TrailscopeError('CONFIG_INVALID', `invalid Insights configuration: ${msgs.join('; ')}`);
  }
  const e = r.data;
  return Object.freeze({
    baselineDays: e.TRAILSCOPE_INSIGHTS_BASELINE_DAYS,
    designRatio: e.TRAILSCOPE_INSIGHTS_DESIGN_RATIO,
    threshold: e.TRAILSCOPE_INSIGHTS_THRESHOLD,
    minCount: e.TRAILSCOPE_INSIGHTS_MIN_COUNT,
    minDurationMinutes: e.TRAILSCOPE_INSIGHTS_MIN_DURATION_MINUTES,
    endQuietMinutes: e.TRAILSCOPE_INSIGHTS_END_QUIET_MINUTES,
    endRatio: e.TRAILSCOPE_INSIGHTS_END_RATIO,
    minBaselinePerMinute: e.TRAILSCOPE_INSIGHTS_MIN_BASELINE_PER_MINUTE,
    includeReadOnly: e.TRAILSCOPE_INSIGHTS_READ_APIS === 'true',
    includeDataEvents: e.TRAILSCOPE_INSIGHTS_DATA_EVENTS === 'true',
    delayMinutes: e.TRAILSCOPE_INSIGHTS_DELAY_MINUTES,
    lookbackMinutes: e.TRAILSCOPE_INSIGHTS_LOOKBACK_MINUTES,
    everyMs: e.TRAILSCOPE_INSIGHTS_EVERY_MS,
    chunkMinutes: e.TRAILSCOPE_INSIGHTS_CHUNK_MINUTES,
    live: e.TRAILSCOPE_INSIGHTS_LIVE === 'true',
  });
}
