import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CloudTrailClient, paginateLookupEvents, type Event as CtEvent } from '@aws-sdk/client-cloudtrail';
import { createBulkWriter, installTemplates } from '@trailscope/indexer';
import { createLogger, createOpenSearchClient, createRedis, type Config, type OpenSearchClient, type Redis } from '@trailscope/runtime';
import { SERVER_KEY } from '../api/support/api-server';
import { startCli, type CliProcess } from '../ingest/support/processes';
import { cleanupNamespace, makeConfig, runCli, uniqueNamespace, waitFor } from '../support/env';
import { ACCOUNT_CALM, APIS, DAY, HOUR, insightTrail, MINUTE, type Anomaly, type Trail } from './support/insight-trail';

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

interface Stored {
  id: string;
  kind: string;
  raw: string;
  record: InsightRecord;
}

/**
 * Insights computed from a generated trail with injected anomalies, through `trailscope insights run`, against the
 * real OpenSearch: first a run killed mid-way and resumed, compared with a dry run; then the records read back
 * through search, LookupEvents (AWS SDK) and `aws cloudtrail lookup-events` against `trailscope serve`.
 */
describe('trailscope insights run', () => {
  const ns = uniqueNamespace('t-insights');
  let config: Config;
  let client: OpenSearchClient;
  let trail: Trail;
  let redis: Redis;
  let serve: CliProcess | undefined;
  let home: string | undefined;
  const day = () => new Date(trail.analysedDayMs).toISOString().slice(0, 10);
  const env = () => ({ TRAILSCOPE_NAMESPACE: ns, ...INSIGHTS_ENV });

  const storedInsights = async (): Promise<Stored[]> => {
    await client.indices.refresh({ index: config.names.eventIndexPattern });
    const res = await client.search({
      index: config.names.eventsAlias,
      body: { size: 1000, query: { term: { eventType: 'AwsCloudTrailInsight' } }, sort: [{ eventTime: 'asc' }, { id: 'asc' }] },
    });
    return (res.body.hits.hits as Array<{ _id: string; _source: { raw: string; ingest: { kind: string } } }>).map((h) => ({
      id: h._id,
      kind: h._source.ingest.kind,
      raw: h._source.raw,
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
    redis = createRedis(config);
    await installTemplates(client, config);
    trail = insightTrail(1717, BASELINE_DAYS);
    // A seeding writer without store-wide id claims: every generated id is new, and the claims would double the load.
    const writer = createBulkWriter({ client, config, logger: createLogger({ level: 'silent' }), uniqueIds: false });
    for (const d of trail.docs) await writer.add(d.id, d);
    await writer.flush();
    await client.indices.refresh({ index: config.names.eventIndexPattern });
  });
  afterAll(async () => {
    if (serve && serve.child.exitCode === null) serve.child.kill('SIGKILL');
    if (home) rmSync(home, { recursive: true, force: true });
    redis?.disconnect();
    await cleanupNamespace(client, ns);
    await client.close();
  });

  let first: Stored[] = [];

  it('stores, after a run killed by SIGKILL mid-way and run again, exactly the records of an uninterrupted dry run', async () => {
    const dry = await runCli(['insights', 'run', '--from', day(), '--to', day(), '--dry-run', '--json'], { env: env() });
    expect(dry.code).toBe(0);
    const lines = dry.stdout.trim().split('\n');
    const reference = lines.slice(0, -1).sort();
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ starts: trail.anomalies.length, ends: trail.anomalies.length, dryRun: true, created: 0 });
    expect(reference).toHaveLength(2 * trail.anomalies.length);
    expect(await eventCount()).toBe(trail.docs.length);

    // Half-hour chunks, so the run checkpoints often; it is killed at its first checkpoint up to 12:00, hours ahead of
    // the last three anomalies (14:00, 18:33 and 20:00).
    const dayMs = trail.analysedDayMs;
    const killed = startCli(['insights', 'run', '--from', day(), '--to', day(), '--json'], { ...env(), TRAILSCOPE_INSIGHTS_CHUNK_MINUTES: '30' });
    const pattern = `${config.names.redisPrefix}insights:run:*`;
    const saved = await waitFor(
      async () => {
        if (killed.child.exitCode !== null) throw new Error(`insights run ended before it could be killed: ${killed.output().stderr}`);
        const [k] = await redis.keys(pattern);
        const v = k ? Number(await redis.get(k)) : 0;
        if (v > dayMs && v <= dayMs + 12 * HOUR) {
          killed.child.kill('SIGKILL');
          return v;
        }
        if (v > dayMs + 12 * HOUR) throw new Error(`the run was past 12:00 (${new Date(v).toISOString()}) at its first checkpoint seen`);
        return undefined;
      },
      { timeoutMs: 120000, intervalMs: 5, what: 'a checkpoint of the insights run' },
    );
    expect(await killed.exited).toBe(137);
    const partial = await storedInsights();
    expect(partial.length).toBeLessThan(reference.length);
    expect(partial.filter((p) => !reference.includes(p.raw))).toEqual([]);

    const resumed = await runCli(['insights', 'run', '--from', day(), '--to', day(), '--json'], { env: env() });
    expect({ code: resumed.code, stderr: resumed.stderr }).toEqual({ code: 0, stderr: '' });
    const summary = JSON.parse(resumed.stdout.trim().split('\n').pop()!) as { created: number; existing: number; conflicts: number };
    expect({ created: summary.created, conflicts: summary.conflicts }).toEqual({ created: reference.length - partial.length, conflicts: 0 });
    expect(await redis.keys(pattern)).toEqual([]);
    first = await storedInsights();
    expect({ saved: new Date(saved).toISOString(), records: first.map((f) => f.raw).sort() }).toEqual({ saved: new Date(saved).toISOString(), records: reference });
    expect(first.map((f) => f.id).sort()).toEqual(first.map((f) => f.record.eventID).sort());
    expect(await eventCount()).toBe(trail.docs.length + reference.length);
  });

  it('finds each injected anomaly of 10x or more for 5 minutes or more as a Start and an End, and nothing else', () => {

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

  it('creates nothing when run again over the same range', async () => {
    const before = await eventCount();
    const again = await runCli(['insights', 'run', '--from', day(), '--to', day(), '--json'], { env: env() });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout.trim())).toMatchObject({ created: 0, existing: first.length, conflicts: 0 });
    expect(await eventCount()).toBe(before);
    expect((await storedInsights()).map((f) => f.raw)).toEqual(first.map((f) => f.raw));
  });

  it('refuses a bad range or account, naming the flag', async () => {
    const bad = await runCli(['insights', 'run', '--from', 'yesterday', '--to', day()], { env: env() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--from "yesterday" is not a date/);
    const acct = await runCli(['insights', 'run', '--from', day(), '--to', day(), '--account', '12345'], { env: env() });
    expect(acct.code).toBe(2);
    expect(acct.stderr).toMatch(/--account "12345" is not a 12-digit AWS account id/);
  });

  it('is what search --event-category Insight and LookupEvents EventCategory=insight (AWS SDK and AWS CLI, against trailscope serve) return, and only that', async () => {
    const from = new Date(trail.startMs).toISOString();
    const to = new Date(trail.analysedDayMs + DAY).toISOString();
    const res = await runCli(['search', '--event-category', 'Insight', '--from', from, '--to', to, '--json', '--limit', '1000'], { env: env() });
    expect(res.code).toBe(0);
    const found = res.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id).sort();
    expect(found).toEqual(first.map((f) => f.id).sort());

    const created = await runCli(['keys', 'create', '--name', 'insights', '--json'], { env: { ...env(), TRAILSCOPE_SERVER_KEY: SERVER_KEY } });
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout) as { id: string; secret: string };
    serve = startCli(['serve', '--port', '0'], { ...env(), TRAILSCOPE_SERVER_KEY: SERVER_KEY });
    const url = await waitFor(() => /TRAILSCOPE_API_URL=(\S+)/.exec(serve!.output().stdout)?.[1], { timeoutMs: 60000, what: 'serve to print its URL' });

    const ct = new CloudTrailClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: key.id, secretAccessKey: key.secret }, maxAttempts: 1 });
    const events: CtEvent[] = [];
    for await (const page of paginateLookupEvents({ client: ct }, { EventCategory: 'insight', StartTime: new Date(from), EndTime: new Date(to) })) events.push(...(page.Events ?? []));
    expect(events.map((e) => e.EventId).sort()).toEqual(first.map((f) => f.record.eventID).sort());
    expect(events.map((e) => JSON.parse(e.CloudTrailEvent!) as InsightRecord).every((r) => r.eventType === 'AwsCloudTrailInsight')).toBe(true);
    const plain: CtEvent[] = [];
    for await (const page of paginateLookupEvents({ client: ct }, { StartTime: new Date(trail.analysedDayMs + 14 * HOUR), EndTime: new Date(trail.analysedDayMs + 14 * HOUR + 5 * MINUTE) })) plain.push(...(page.Events ?? []));
    expect(plain.length).toBeGreaterThan(0);
    expect(plain.filter((e) => (JSON.parse(e.CloudTrailEvent!) as InsightRecord).eventType === 'AwsCloudTrailInsight')).toEqual([]);

    // The real AWS CLI: botocore signs, pages (NextToken) and parses; CloudTrailEvent is the stored record byte for byte.
    const awsHome = mkdtempSync(path.join(tmpdir(), 'trailscope-insights-aws-'));
    home = awsHome;
    const aws = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
      execFile(
        'aws',
        ['cloudtrail', 'lookup-events', '--event-category', 'insight', '--start-time', from, '--end-time', to, '--page-size', '3', '--endpoint-url', url, '--output', 'json'],
        {
          env: {
            PATH: process.env.PATH,
            HOME: awsHome,
            LC_ALL: 'C.UTF-8',
            AWS_ACCESS_KEY_ID: key.id,
            AWS_SECRET_ACCESS_KEY: key.secret,
            AWS_DEFAULT_REGION: 'us-east-1',
            AWS_PAGER: '',
            AWS_CONFIG_FILE: path.join(awsHome, 'no-such-config'),
            AWS_SHARED_CREDENTIALS_FILE: path.join(awsHome, 'no-such-credentials'),
            AWS_EC2_METADATA_DISABLED: 'true',
            AWS_MAX_ATTEMPTS: '1',
          },
          maxBuffer: 64 * 1024 * 1024,
          timeout: 240000,
        },
        (err, stdout, stderr) => {
          if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') reject(new Error('the AWS CLI is not installed: no `aws` on PATH (Debian: apt-get install awscli, as .ci/run does)'));
          else resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
        },
      );
    });
    expect({ code: aws.code, stderr: aws.stderr }).toEqual({ code: 0, stderr: '' });
    const cli = (JSON.parse(aws.stdout) as { Events: Array<{ EventId: string; CloudTrailEvent: string }> }).Events;
    const byId = new Map(first.map((f) => [f.record.eventID, f]));
    expect(cli.map((e) => e.EventId).sort()).toEqual([...byId.keys()].sort());
    for (const e of cli) expect({ id: e.EventId, raw: e.CloudTrailEvent }).toEqual({ id: e.EventId, raw: byId.get(e.EventId)!.raw });

    const exited = serve.exited;
    serve.child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
