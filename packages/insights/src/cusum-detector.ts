import type { InsightsConfig } from './insights-config';
import { MINUTE_MS } from './baseline';

export type DetectorConfig = Pick<InsightsConfig, 'designRatio' | 'threshold' | 'minCount' | 'minDurationMinutes' | 'endQuietMinutes' | 'endRatio'>;

/** One insight as the detector reports it: Start once the alarm fires, End once the rate has fallen back. */
export type DetectorEvent<T = unknown> =
  | { state: 'Start'; startMs: number; alarmMs: number; count: number; minutes: number; startTag: T }
  | { state: 'End'; startMs: number; endMs: number; count: number; minutes: number; startTag: T };

interface Minute {
  count: number;
  expected: number;
}

/**
 * A one-sided Poisson CUSUM (Page's test for a rate rising from `expected` to `designRatio × expected`) over one
 * series, fed minute by minute in time order, with gaps filled by zero counts. Causal: what it reports for a minute
 * depends only on that minute and the ones before, so a live run and a later `insights run` over the same minutes
 * report the same insights (and therefore the same record ids and contents).
 *
 * - S ← max(0, S + count·ln r − expected·(r − 1)); an insight starts when S ≥ threshold, with at least minCount
 *   calls over at least minDurationMinutes minutes since S left 0. Its Start time is the change point estimated
 *   then (see changePoint).
 * - It ends at the first of endQuietMinutes (more for a slow insight, see quietNeeded) consecutive minutes that
 *   each have at most endRatio × expected calls; then S restarts from 0.
 */
export class CusumDetector<T = unknown> {
  private s = 0;
  /** Minutes since the change point of the current excursion or insight, oldest first. */
  private run: Minute[] = [];
  private runStartMs = 0;
  private runStartTag: T | undefined;
  /** The tag of each minute of an excursion, until it becomes an insight. */
  private tags: Array<T | undefined> = [];
  private open = false;
  private quiet = 0;
  private readonly lnRatio: number;

  constructor(private readonly config: DetectorConfig) {
    this.lnRatio = Math.log(config.designRatio);
  }

  /** True when the next minute of silence could still change something (an excursion or an open insight). */
  get active(): boolean {
    return this.open || this.s > 0;
  }

  /** `tag`: what the caller wants back with the events of an insight starting at this minute (its baseline). */
  step(minuteMs: number, count: number, expected: number, tag?: T): DetectorEvent<T> | undefined {
    const c = this.config;
    if (this.open) {
      this.run.push({ count, expected });
      this.quiet = count <= c.endRatio * expected ? this.quiet + 1 : 0;
      if (this.quiet < this.quietNeeded()) return undefined;
      const kept = this.run.slice(0, this.run.length - this.quiet);
      const endMs = minuteMs - (this.quiet - 1) * MINUTE_MS;
      const ev: DetectorEvent<T> = { state: 'End', startMs: this.runStartMs, endMs, count: sum(kept), minutes: kept.length, startTag: this.runStartTag as T };
      this.reset();
      return ev;
    }
    const next = Math.max(0, this.s + count * this.lnRatio - expected * (c.designRatio - 1));
    if (next === 0) {
      this.reset();
      return undefined;
    }
    if (this.s === 0) {
      this.run = [];
      this.tags = [];
      this.runStartMs = minuteMs;
      this.runStartTag = tag;
    }
    this.s = next;
    this.run.push({ count, expected });
    this.tags.push(tag);
    const n = sum(this.run);
    if (this.s >= c.threshold && n >= c.minCount && this.run.length >= c.minDurationMinutes) {
      this.open = true;
      this.quiet = 0;
      const k = this.changePoint();
      if (k > 0) {
        this.run = this.run.slice(k);
        this.runStartMs += k * MINUTE_MS;
        this.runStartTag = this.tags[k];
      }
      this.tags = [];
      const kept = sum(this.run);
      return { state: 'Start', startMs: this.runStartMs, alarmMs: minuteMs, count: kept, minutes: this.run.length, startTag: this.runStartTag as T };
    }
    return undefined;
  }

  /**
   * Where the rise began, in minutes from the start of the excursion: the start maximizing the log-likelihood ratio
   * of the minutes after it, at the ratio observed over the last minutes (not the design ratio, which a 30x spike
   * exceeds so far that calls of noise before it still look like its beginning).
   */
  private changePoint(): number {
    const r = this.run;
    const tail = r.slice(-3);
    const ratio = Math.max(this.config.designRatio, sum(tail) / Math.max(1e-9, tail.reduce((e, m) => e + m.expected, 0)));
    const ln = Math.log(ratio);
    let best = 0;
    let bestSum = -Infinity;
    let acc = 0;
    for (let k = r.length - 1; k >= 0; k--) {
      acc += r[k]!.count * ln - r[k]!.expected * (ratio - 1);
      if (acc >= bestSum) {
        bestSum = acc;
        best = k;
      }
    }
    return best;
  }
  /**
   * Quiet minutes that end the insight: endQuietMinutes, or more for a slow insight, so that its own gaps do not end
   * it: as many minutes as make a run of silence at the insight's rate less likely than 1 in 1,000 (capped at an hour).
   */
  private quietNeeded(): number {
    const kept = this.run.slice(0, this.run.length - this.quiet);
    const rate = sum(kept) / Math.max(1, kept.length);
    return Math.max(this.config.endQuietMinutes, Math.min(60, Math.ceil(Math.log(1000) / Math.max(rate, 1e-9))));
  }

  private reset(): void {
    this.s = 0;
    this.run = [];
    this.tags = [];
    this.open = false;
    this.quiet = 0;
  }
}

function sum(ms: Minute[]): number {
  let n = 0;
  for (const m of ms) n += m.count;
  return n;
}
