import type { EventDoc } from './api';

/** The part of an Insights record (CloudTrail's shape) the timeline reads. */
interface InsightDetails {
  state?: string;
  eventSource?: string;
  eventName?: string;
  insightType?: string;
  errorCode?: string;
  insightContext?: { statistics?: { baseline?: { average?: number }; insight?: { average?: number }; insightDuration?: number } };
}

export type InsightEvent = EventDoc & { sharedEventID?: string; insightDetails?: InsightDetails };

/** One insight: its Start record, and its End record once the rate came back down. */
export interface Insight {
  id: string;
  startMs: number;
  endMs?: number;
  /** Mean calls (or errors) per minute over the baseline days before its start hour. */
  baselineAverage: number;
  /** Mean per minute during the insight: Start to End when it ended, Start to the alarm otherwise. */
  insightAverage: number;
  minutes: number;
  startEventId: string;
}

/** The insights of one API (event source and name) in one account and region, of one type (and error code). */
export interface InsightSeries {
  key: string;
  account: string;
  region: string;
  eventSource: string;
  eventName: string;
  insightType: string;
  errorCode?: string;
  insights: Insight[];
}

function statsOf(d: InsightDetails): { baseline: number; insight: number; minutes: number } {
  const s = d.insightContext?.statistics;
  return { baseline: s?.baseline?.average ?? 0, insight: s?.insight?.average ?? 0, minutes: s?.insightDuration ?? 0 };
}

/**
 * Insight records paired by sharedEventID and grouped into one series per API, account, region, type and error
 * code, each series' insights oldest first; series ordered by their first insight. An End without its Start (its
 * Start is outside the range read) is shown from the End's own statistics, starting insightDuration before it.
 */
export function insightSeries(records: InsightEvent[]): InsightSeries[] {
  const pairs = new Map<string, { start?: InsightEvent; end?: InsightEvent }>();
  for (const r of records) {
    const d = r.insightDetails;
    if (!d || !r.sharedEventID) continue;
    const p = pairs.get(r.sharedEventID) ?? {};
    if (d.state === 'End') p.end = r;
    else p.start = r;
    pairs.set(r.sharedEventID, p);
  }
  const series = new Map<string, InsightSeries>();
  for (const [shared, { start, end }] of pairs) {
    const any = (start ?? end) as InsightEvent;
    const d = any.insightDetails as InsightDetails;
    const eventSource = d.eventSource ?? any.eventSource;
    const eventName = d.eventName ?? any.eventName;
    const insightType = d.insightType ?? 'ApiCallRateInsight';
    const key = JSON.stringify([any.account, any.region ?? '', eventSource, eventName, insightType, d.errorCode ?? '']);
    const s = series.get(key) ?? { key, account: any.account, region: any.region ?? '', eventSource, eventName, insightType, errorCode: d.errorCode, insights: [] };
    // the End's statistics cover the whole insight; the Start's only up to the alarm
    const stats = statsOf((end ?? start)!.insightDetails as InsightDetails);
    const endMs = end ? Date.parse(end.eventTime) : undefined;
    const startMs = start ? Date.parse(start.eventTime) : (endMs as number) - stats.minutes * 60_000;
    s.insights.push({ id: shared, startMs, endMs, baselineAverage: stats.baseline, insightAverage: stats.insight, minutes: stats.minutes, startEventId: (start ?? end)!.id });
    series.set(key, s);
  }
  const out = [...series.values()];
  for (const s of out) s.insights.sort((a, b) => a.startMs - b.startMs);
  return out.sort((a, b) => (a.insights[0]?.startMs ?? 0) - (b.insights[0]?.startMs ?? 0) || a.key.localeCompare(b.key));
}
