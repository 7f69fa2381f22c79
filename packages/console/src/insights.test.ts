import { describe, expect, it } from '@jest/globals';
import { insightSeries, type InsightEvent } from './insights';

function record(state: 'Start' | 'End', shared: string, eventTime: string, over: Partial<{ account: string; eventName: string; errorCode: string; baseline: number; insight: number; minutes: number }> = {}): InsightEvent {
  return {
    id: `${shared}-${state}`,
    eventTime,
    eventSource: 'iam.amazonaws.com',
    eventName: over.eventName ?? 'CreateUser',
    account: over.account ?? '111111111111',
    region: 'us-east-1',
    sharedEventID: shared,
    insightDetails: {
      state,
      eventSource: 'iam.amazonaws.com',
      eventName: over.eventName ?? 'CreateUser',
      insightType: over.errorCode ? 'ApiErrorRateInsight' : 'ApiCallRateInsight',
      errorCode: over.errorCode,
      insightContext: { statistics: { baseline: { average: over.baseline ?? 0.5 }, insight: { average: over.insight ?? 10 }, insightDuration: over.minutes ?? 5 } },
    },
  };
}

describe('insightSeries', () => {
  it('pairs Start and End by sharedEventID and takes the End statistics (they cover the whole insight)', () => {
    const series = insightSeries([record('Start', 'a', '2026-03-02T09:00:00Z', { insight: 8, minutes: 3 }), record('End', 'a', '2026-03-02T09:10:00Z', { insight: 12, minutes: 10 })]);
    expect(series).toHaveLength(1);
    expect(series[0]!.insights).toEqual([
      { id: 'a', startMs: Date.parse('2026-03-02T09:00:00Z'), endMs: Date.parse('2026-03-02T09:10:00Z'), baselineAverage: 0.5, insightAverage: 12, minutes: 10, startEventId: 'a-Start' },
    ]);
  });

  it('keeps an ongoing insight (no End yet) and places an End without its Start insightDuration before it', () => {
    const series = insightSeries([record('Start', 'open', '2026-03-02T10:00:00Z'), record('End', 'late', '2026-03-02T08:30:00Z', { minutes: 30 })]);
    const insights = series[0]!.insights;
    expect(insights.map((i) => [i.id, i.startMs, i.endMs])).toEqual([
      ['late', Date.parse('2026-03-02T08:00:00Z'), Date.parse('2026-03-02T08:30:00Z')],
      ['open', Date.parse('2026-03-02T10:00:00Z'), undefined],
    ]);
  });

  it('makes one series per account, API, type and error code, ordered by their first insight', () => {
    const series = insightSeries([
      record('Start', 'b', '2026-03-02T12:00:00Z', { account: '222222222222' }),
      record('Start', 'c', '2026-03-02T11:00:00Z', { errorCode: 'AccessDenied' }),
      record('Start', 'd', '2026-03-02T13:00:00Z'),
      record('Start', 'e', '2026-03-02T10:00:00Z'),
    ]);
    expect(series.map((s) => [s.account, s.insightType, s.errorCode ?? '', s.insights.map((i) => i.id)])).toEqual([
      ['111111111111', 'ApiCallRateInsight', '', ['e', 'd']],
      ['111111111111', 'ApiErrorRateInsight', 'AccessDenied', ['c']],
      ['222222222222', 'ApiCallRateInsight', '', ['b']],
    ]);
  });

  it('ignores records that are not Insights', () => {
    expect(insightSeries([{ id: 'x', eventTime: '2026-03-02T10:00:00Z', eventSource: 's3.amazonaws.com', eventName: 'GetObject', account: '111111111111' }])).toEqual([]);
  });
});
