export type InsightType = 'ApiCallRateInsight' | 'ApiErrorRateInsight';

/** One counted series: calls (or failed calls with one error code) of one API in one account and region. */
export interface SeriesKey {
  account: string;
  region: string;
  eventSource: string;
  eventName: string;
  /** Only for ApiErrorRateInsight. */
  errorCode?: string;
}

export function seriesId(k: SeriesKey): string {
  return JSON.stringify([k.account, k.region, k.eventSource, k.eventName, k.errorCode ?? null]);
}
