import { apiCallRecord, createRandom, poisson } from '@trailscope/fixtures';
import type { EventDoc } from '@trailscope/model';
import { normalize } from '@trailscope/parser';

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

export const ACCOUNT_SPIKY = '111111111111';
export const ACCOUNT_CALM = '222222222222';
export const REGIONS = ['us-east-1', 'eu-west-1'] as const;

export interface Api {
  eventSource: string;
  eventName: string;
  /** Mean calls per minute over a day. */
  base: number;
  /** Share of calls failing with AccessDenied. */
  errorShare: number;
}

export const APIS: Api[] = [
  { eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances', base: 1, errorShare: 0 },
  { eventSource: 'iam.amazonaws.com', eventName: 'CreateUser', base: 1, errorShare: 0 },
  { eventSource: 's3.amazonaws.com', eventName: 'PutBucketPolicy', base: 1.5, errorShare: 0.05 },
];

export interface Anomaly {
  account: string;
  region: string;
  eventName: string;
  kind: 'calls' | 'errors';
  startMs: number;
  minutes: number;
  /** calls: the rate becomes factor × base; errors: every call fails. */
  factor: number;
}

export interface Trail {
  docs: EventDoc[];
  /** Day 0 of the baseline; the analysed day is `analysedDayMs`. */
  startMs: number;
  analysedDayMs: number;
  anomalies: Anomaly[];
  /** The API that is called almost never, then twice in one minute of the analysed day. */
  quiet: { account: string; region: string; eventSource: string; eventName: string; atMs: number };
}

/** The rate of the daily cycle: busiest mid-afternoon UTC, at half the mean before dawn. */
export function cycleRate(base: number, ms: number): number {
  const hour = (ms % DAY) / HOUR;
  return base * (1 + 0.5 * Math.sin((2 * Math.PI * (hour - 8)) / 24));
}

/**
 * `baselineDays` days of Poisson noise with a daily cycle for 3 write APIs in 2 regions of one account and 1 region of
 * another, then one day with the same noise plus injected anomalies in the first account only. The second account is
 * noise only.
 */
export function insightTrail(seed: number, baselineDays: number): Trail {
  const rng = createRandom(seed);
  const startMs = Date.UTC(2026, 1, 2);
  const analysedDayMs = startMs + baselineDays * DAY;
  const at = (h: number, m: number) => analysedDayMs + h * HOUR + m * MINUTE;
  const anomalies: Anomaly[] = [
    { account: ACCOUNT_SPIKY, region: 'us-east-1', eventName: 'RunInstances', kind: 'calls', startMs: at(3, 7), minutes: 10, factor: 10 },
    { account: ACCOUNT_SPIKY, region: 'us-east-1', eventName: 'CreateUser', kind: 'calls', startMs: at(9, 20), minutes: 5, factor: 30 },
    { account: ACCOUNT_SPIKY, region: 'eu-west-1', eventName: 'RunInstances', kind: 'calls', startMs: at(14, 0), minutes: 30, factor: 100 },
    { account: ACCOUNT_SPIKY, region: 'eu-west-1', eventName: 'PutBucketPolicy', kind: 'errors', startMs: at(18, 33), minutes: 15, factor: 20 },
    { account: ACCOUNT_SPIKY, region: 'us-east-1', eventName: 'PutBucketPolicy', kind: 'calls', startMs: at(20, 0), minutes: 60, factor: 10 },
  ];
  const quiet = { account: ACCOUNT_CALM, region: 'us-east-1', eventSource: 'kms.amazonaws.com', eventName: 'ScheduleKeyDeletion', atMs: at(11, 42) };
  const docs: EventDoc[] = [];
  const ingestedAt = new Date(analysedDayMs + DAY).toISOString();
  const emit = (account: string, region: string, eventSource: string, eventName: string, minuteMs: number, fail: boolean, who: string) => {
    const eventID = rng.uuid();
    const record = apiCallRecord({
      account,
      userIdentity: { type: 'AssumedRole', arn: `arn:aws:sts::${account}:assumed-role/${who}/session`, accountId: account },
      eventTime: new Date(minuteMs + rng.int(0, 59) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      eventSource,
      eventName,
      region,
      sourceIPAddress: '192.0.2.10',
      userAgent: who === 'Spiker' ? 'spiker-tool/1.0' : 'aws-cli/2.15.0',
      ...(fail ? { error: { code: 'AccessDenied', message: 'not authorized' } } : {}),
      requestID: eventID,
      eventID,
    });
    const raw = JSON.stringify(record);
    docs.push(normalize(record, raw, { bucket: 'generated', key: `AWSLogs/${account}/CloudTrail/${region}/generated.json.gz`, etag: 'generated', kind: 'log', account, region }, ingestedAt));
  };
  // The calm account in one region: enough to show that noise alone raises nothing, at a quarter of the events.
  for (const account of [ACCOUNT_SPIKY, ACCOUNT_CALM]) {
    for (const region of account === ACCOUNT_CALM ? REGIONS.slice(0, 1) : REGIONS) {
      for (const api of APIS) {
        const here = anomalies.filter((a) => a.account === account && a.region === region && a.eventName === api.eventName);
        for (let t = startMs; t < analysedDayMs + DAY; t += MINUTE) {
          const a = here.find((x) => t >= x.startMs && t < x.startMs + x.minutes * MINUTE);
          const rate = a?.kind === 'calls' ? api.base * a.factor : cycleRate(api.base, t);
          const n = poisson(rng, rate);
          for (let i = 0; i < n; i++) {
            // The spiking caller's calls succeed: a call-rate spike is not also an error burst.
            const fail = a?.kind === 'errors' ? true : a ? false : rng.chance(api.errorShare);
            emit(account, region, api.eventSource, api.eventName, t, fail, a ? 'Spiker' : rng.pick(['Deployer', 'Operator', 'Builder']));
          }
        }
      }
    }
  }
  // Under 0.01 a minute in the baseline (10 calls over the days), then 2 calls in one minute.
  for (let i = 0; i < 10; i++) emit(quiet.account, quiet.region, quiet.eventSource, quiet.eventName, startMs + i * 7 * HOUR, false, 'Operator');
  emit(quiet.account, quiet.region, quiet.eventSource, quiet.eventName, quiet.atMs, false, 'Operator');
  emit(quiet.account, quiet.region, quiet.eventSource, quiet.eventName, quiet.atMs, false, 'Operator');
  return { docs, startMs, analysedDayMs, anomalies, quiet };
}
