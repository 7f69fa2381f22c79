import { createHash } from 'node:crypto';
import type { EventDoc } from '@trailscope/model';
import { normalize } from '@trailscope/parser';
import type { DetectorEvent } from './cusum-detector';
import type { InsightType, SeriesKey } from './series-key';

export interface AttributionValue {
  value: string;
  average: number;
}

export interface Attribution {
  attribute: 'userIdentityArn' | 'userAgent' | 'errorCode';
  insight: AttributionValue[];
  baseline: AttributionValue[];
}

export interface InsightRecordInput {
  insightType: InsightType;
  key: SeriesKey;
  event: DetectorEvent;
  /** Mean calls per minute over the baseline before the insight's start hour. */
  baselineAverage: number;
  baselineDurationMinutes: number;
  attributions: Attribution[];
}

/** A UUID-shaped (version 8, RFC 9562 custom) id from a hash: the same inputs give the same id on every run. */
function uuidOf(...parts: string[]): string {
  const h = createHash('sha256').update(JSON.stringify(parts)).digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** Averages keep 6 significant digits: enough for a rate, and the same text on every run. */
export function roundAverage(v: number): number {
  return v === 0 ? 0 : Number(v.toPrecision(6));
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The sharedEventID of an insight: one per series and start minute, shared by its Start and End records. */
export function sharedEventIdOf(type: InsightType, k: SeriesKey, startMs: number): string {
  return uuidOf('trailscope-insight', type, k.account, k.region, k.eventSource, k.eventName, k.errorCode ?? '', String(startMs));
}

/**
 * An Insights record in CloudTrail's shape (eventType AwsCloudTrailInsight, eventCategory Insight, insightDetails
 * with state, statistics and attributions). Its fields are CloudTrail's only: that trailscope computed it is said by
 * the indexed document's `ingest.kind`, beside the record. The key order is fixed, so the text is the same on
 * every run over the same events.
 */
export function insightRecord(input: InsightRecordInput): Record<string, unknown> {
  const { key, event, insightType } = input;
  const shared = sharedEventIdOf(insightType, key, event.startMs);
  const atMs = event.state === 'Start' ? event.startMs : event.endMs;
  const details: Record<string, unknown> = {
    state: event.state,
    eventSource: key.eventSource,
    eventName: key.eventName,
    insightType,
  };
  if (key.errorCode !== undefined) details.errorCode = key.errorCode;
  details.insightContext = {
    statistics: {
      baseline: { average: roundAverage(input.baselineAverage) },
      insight: { average: roundAverage(event.count / Math.max(1, event.minutes)) },
      insightDuration: event.minutes,
      baselineDuration: input.baselineDurationMinutes,
    },
    attributions: input.attributions.map((a) => ({
      attribute: a.attribute,
      insight: a.insight.map((v) => ({ value: v.value, average: roundAverage(v.average) })),
      baseline: a.baseline.map((v) => ({ value: v.value, average: roundAverage(v.average) })),
    })),
  };
  return {
    eventVersion: '1.08',
    eventTime: isoSeconds(atMs),
    awsRegion: key.region,
    eventID: uuidOf(shared, event.state),
    eventType: 'AwsCloudTrailInsight',
    recipientAccountId: key.account,
    sharedEventID: shared,
    insightDetails: details,
    eventCategory: 'Insight',
  };
}

/** The indexed document of a computed record: normalized like a delivered one, marked computed in `ingest.kind`. */
export function insightDoc(record: Record<string, unknown>, ingestedAt: string): EventDoc {
  const raw = JSON.stringify(record);
  const doc = normalize(record, raw, { bucket: '', key: '', etag: '', kind: 'insight' }, ingestedAt);
  return { ...doc, ingest: { ...doc.ingest, kind: 'computed-insight' } };
}
