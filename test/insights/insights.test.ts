import { CloudTrailClient, paginateLookupEvents, type Event as CtEvent } from '@aws-sdk/client-cloudtrail';
import { createBulkWriter, installTemplates } from '@trailscope/indexer';
import { createLogger, createOpenSearchClient, type Config, type OpenSearchClient } from '@trailscope/runtime';
import { startTestApi, type TestApi } from '../api/support/api-server';
import { cleanupNamespace, makeConfig, runCli, uniqueNamespace } from '../support/env';
import { ACCOUNT_CALM, APIS, DAY, insightTrail, MINUTE, type Anomaly, type Trail } from './support/insight-trail';

const BASELINE_DAYS = 3;
const INSIGHTS_ENV = { TRAILSCOPE_INSIGHTS_BASELINE_DAYS: String(BASELINE_DAYS) };

interface InsightRecord {
  eventTime: string;
  eventID: string;
  sharedEventID: string;
  eventType: string;
  eventCategory: string;
  recipientAccountId: string;
  awsRegion: string;
  insightDetails: {
    state: 'Start' | 'End';
    eventSource: string;
    eventName: string;
    insightType: string;
    errorCode?: string;
    insightContext: {
      statistics: { baseline: { average: number }; insight: { average: number }; insightDuration: number; baselineDuration: number };
      attributions: Array<{ attribute: string; insight: Array<{ value: string; average: number }>; baseline: Array<{ value: string; average: number }> }>;
    };
  };
}

/**
 * Insights computed from a generated trail with injected anomalies, through `trailscope insights run`, against the
 * real OpenSearch; then read back through search and LookupEvents.
 */
describe('trailscope insights run', () => {
  const ns = uniqueNamespace('t-insights');
  let config: Config;
  let client: OpenSearchClient;
  let trail: Trail;
  let api: TestApi | undefined;
  const day = () => new Date(trail.analysedDayMs).toISOString().slice(0, 10);
  const env = () => ({ TRAILSCOPE_NAMESPACE: ns, ...INSIGHTS_ENV });

  const storedInsights = async (): Promise<Array<{ id: string; kind: string; record: InsightRecord }>> => {
    await client.indices.refresh({ index: config.names.eventIndexPattern });
    const res = await client.search({
      index: config.names.eventsAlias,
      body: { size: 1000, query: { term: { eventType: 'AwsCloudTrailInsight' } }, sort: [{ eventTime: 'asc' }, { id: 'asc' }] },
    });
    return (res.body.hits.hits as Array<{ _id: string; _source: { raw: string; ingest: { kind: string } } }>).map((h) => ({
      id: h._id,
      kind: h._source.ingest.kind,
      record: JSON.parse(h._source.raw) as InsightRecord,
    }));
  };
  const eventCount = async (): Promise<number> => {
    await client.indices.refresh({ index: config.names.eventIndexPattern });
    return (await client.count({ index: config.names.eventsAlias })).body.count as number;
  };

  beforeAll(async () => {
    config = makeConfig(ns, { TRAILSCOPE_BULK_FLUSH_DOCS: 5000 });
    client = createOpenSearchClient(config);
    await installTemplates(client, config);
    trail = insightTrail(1717, BASELINE_DAYS);
    // A seeding writer without store-wide id claims: every generated id is new, and the claims would double the load.
    const writer = createBulkWriter({ client, config, logger: createLogger({ level: 'silent' }), uniqueIds: false });
    for (const d of trail.docs) await writer.add(d.id, d);
    await writer.flush();
    await client.indices.refresh({ index: config.names.eventIndexPattern });
  });
  afterAll(async () => {
    await api?.close();
    await cleanupNamespace(client, ns);
    await client.close();
  });

  let first: Array<{ id: string; kind: string; record: InsightRecord }> = [];

  it('finds each injected anomaly of 10x or more for 5 minutes or more as a Start and an End, and nothing else', async () => {
    const res = await runCli(['insights', 'run', '--from', day(), '--to', day(), '--json'], { env: env() });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const summary = JSON.parse(res.stdout.trim().split('\n').pop()!) as { starts: number; ends: number; created: number; conflicts: number };
    first = await storedInsights();
    expect(summary).toMatchObject({ starts: trail.anomalies.length, ends: trail.anomalies.length, created: 2 * trail.anomalies.length, conflicts: 0 });

    const byShared = new Map<string, InsightRecord[]>();
    for (const { record } of first) byShared.set(record.sharedEventID, [...(byShared.get(record.sharedEventID) ?? []), record]);
    const matched = new Set<Anomaly>();
    for (const pair of byShared.values()) {
      const start = pair.find((r) => r.insightDetails.state === 'Start');
      const end = pair.find((r) => r.insightDetails.state === 'End');
      expect({ states: pair.map((r) => r.insightDetails.state).sort(), start: Boolean(start), end: Boolean(end) }).toEqual({ states: ['End', 'Start'], start: true, end: true });
      const d = start!.insightDetails;
      const anomaly = trail.anomalies.find(
        (a) =>
          a.account === start!.recipientAccountId &&
          a.region === start!.awsRegion &&
          a.eventName === d.eventName &&
          (a.kind === 'errors' ? d.insightType === 'ApiErrorRateInsight' && d.errorCode === 'AccessDenied' : d.insightType === 'ApiCallRateInsight'),
      );
      expect({ unexpected: anomaly ? undefined : start }).toEqual({ unexpected: undefined });
      matched.add(anomaly!);
      const startMs = Date.parse(start!.eventTime);
      const endMs = Date.parse(end!.eventTime);
      const anomalyEnd = anomaly!.startMs + anomaly!.minutes * MINUTE;
      expect({ eventName: d.eventName, startOffMinutes: Math.abs(startMs - anomaly!.startMs) / MINUTE <= 2, endsAfterStop: endMs >= anomalyEnd, endsSoon: endMs <= anomalyEnd + 5 * MINUTE }).toEqual({
        eventName: d.eventName,
        startOffMinutes: true,
        endsAfterStop: true,
        endsSoon: true,
      });
      expect(start!.recipientAccountId).not.toBe(ACCOUNT_CALM);
    }
    expect(matched.size).toBe(trail.anomalies.length);
  });

  it('writes records in the CloudTrail Insights shape, marked as computed beside the record, with statistics within 10% of the generated rates', () => {
    for (const { kind, record } of first) {
      expect(kind).toBe('computed-insight');
      expect(record).toMatchObject({ eventType: 'AwsCloudTrailInsight', eventCategory: 'Insight', eventVersion: '1.08' });
      expect(record).not.toHaveProperty('trailscope');
      const s = record.insightDetails.insightContext.statistics;
      expect(s.baselineDuration).toBe(BASELINE_DAYS * 1440);
      expect(record.insightDetails.insightContext.attributions.map((a) => a.attribute)).toEqual(['userIdentityArn', 'userAgent', 'errorCode']);
    }
    const spike = trail.anomalies.find((a) => a.factor === 100)!;
    const end = first.find((f) => f.record.insightDetails.state === 'End' && f.record.awsRegion === spike.region && f.record.insightDetails.eventName === spike.eventName)!.record;
    const api = APIS.find((a) => a.eventName === spike.eventName)!;
    const s = end.insightDetails.insightContext.statistics;
    expect(Math.abs(s.insight.average - api.base * spike.factor) / (api.base * spike.factor)).toBeLessThan(0.1);
    expect(Math.abs(s.baseline.average - api.base) / api.base).toBeLessThan(0.1);
    expect(Math.abs(s.insightDuration - spike.minutes)).toBeLessThanOrEqual(2);
    const arns = end.insightDetails.insightContext.attributions.find((a) => a.attribute === 'userIdentityArn')!;
    expect(arns.insight[0]!.value).toBe(`arn:aws:sts::${spike.account}:assumed-role/Spiker/session`);
    expect(arns.insight.length).toBeLessThanOrEqual(5);
    const errors = first.find((f) => f.record.insightDetails.insightType === 'ApiErrorRateInsight' && f.record.insightDetails.state === 'End')!.record;
    const e = errors.insightDetails.insightContext.statistics;
    const put = APIS.find((a) => a.eventName === 'PutBucketPolicy')!;
    expect(Math.abs(e.baseline.average - put.base * put.errorShare) / (put.base * put.errorShare)).toBeLessThan(0.1);
  });

  it('reports nothing for a quiet API making 2 calls in a minute', () => {
    expect(first.filter((f) => f.record.insightDetails.eventName === trail.quiet.eventName)).toEqual([]);
  });

  it('creates nothing when run again over the same range, and a dry run prints the same records without writing', async () => {
    const before = await eventCount();
    const again = await runCli(['insights', 'run', '--from', day(), '--to', day(), '--json'], { env: env() });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout.trim())).toMatchObject({ created: 0, existing: first.length, conflicts: 0 });
    expect(await eventCount()).toBe(before);
    expect((await storedInsights()).map((f) => f.id)).toEqual(first.map((f) => f.id));

    const dry = await runCli(['insights', 'run', '--from', day(), '--to', day(), '--dry-run', '--json'], { env: env() });
    expect(dry.code).toBe(0);
    const lines = dry.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const printed = lines.slice(0, -1).map((r) => JSON.stringify(r)).sort();
    expect(printed).toEqual(first.map((f) => JSON.stringify(f.record)).sort());
    expect(lines.at(-1)).toMatchObject({ dryRun: true, created: 0 });
    expect(await eventCount()).toBe(before);
  });

  it('refuses a bad range or account, naming the flag', async () => {
    const bad = await runCli(['insights', 'run', '--from', 'yesterday', '--to', day()], { env: env() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--from "yesterday" is not a date/);
    const acct = await runCli(['insights', 'run', '--from', day(), '--to', day(), '--account', '12345'], { env: env() });
    expect(acct.code).toBe(2);
    expect(acct.stderr).toMatch(/--account "12345" is not a 12-digit AWS account id/);
  });

  it('is what search --event-category Insight and LookupEvents EventCategory=insight return, and only that', async () => {
    const from = new Date(trail.startMs).toISOString();
    const to = new Date(trail.analysedDayMs + DAY).toISOString();
    const res = await runCli(['search', '--event-category', 'Insight', '--from', from, '--to', to, '--json', '--limit', '1000'], { env: env() });
    expect(res.code).toBe(0);
    const found = res.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id).sort();
    expect(found).toEqual(first.map((f) => f.id).sort());

    api = await startTestApi({ ns, config, client });
    const key = await api.keys.create({ name: 'insights' });
    const ct = new CloudTrailClient({ endpoint: api.url, region: 'us-east-1', credentials: { accessKeyId: key.id, secretAccessKey: key.secret }, maxAttempts: 1 });
    const events: CtEvent[] = [];
    for await (const page of paginateLookupEvents({ client: ct }, { EventCategory: 'insight', StartTime: new Date(from), EndTime: new Date(to) })) events.push(...(page.Events ?? []));
    expect(events.map((e) => e.EventId).sort()).toEqual(first.map((f) => f.record.eventID).sort());
    expect(events.map((e) => JSON.parse(e.CloudTrailEvent!) as InsightRecord).every((r) => r.eventType === 'AwsCloudTrailInsight')).toBe(true);
  });
});
