import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { GeneratedFile } from '@trailscope/fixtures';
import { toLookupEvent, type LookupEvent } from '@trailscope/api';
import type { TypedEvent } from '@trailscope/query';
import { runCli } from '../support/env';
import { ACCOUNT_A, seedStore, standardTrail, type SeedEvent, type SeededStore } from '../query/support/seed';
import { startTestApi, type TestApi } from './support/api-server';

/**
 * The real AWS CLI (`aws cloudtrail lookup-events`, botocore) against the LookupEvents endpoint, compared with the
 * same query through the `trailscope search` command, once per AWS CLI on the machine: the `aws` on the PATH and
 * Debian's `/usr/bin/aws` (awscli 2.x) when it is another program. .ci/run installs Debian's when it is absent;
 * without any CLI this suite fails.
 */

/** Each distinct AWS CLI: the first `aws` on the PATH and /usr/bin/aws, the same program counted once. */
function awsClis(): string[] {
  const executable = (file: string) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  const onPath = (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter(Boolean)
    .map((dir) => path.join(dir, 'aws'))
    .find(executable);
  const byProgram = new Map<string, string>();
  for (const file of [onPath, '/usr/bin/aws']) {
    if (file !== undefined && executable(file) && !byProgram.has(realpathSync(file))) byProgram.set(realpathSync(file), file);
  }
  // none: plain 'aws', so that the suite fails saying the CLI is missing
  return byProgram.size > 0 ? [...byProgram.values()] : ['aws'];
}

interface AwsRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** What `--output json` prints; EventTime is epoch seconds in CLI v1 and an ISO-8601 string in CLI v2. */
interface AwsPage {
  Events: Array<Omit<LookupEvent, 'EventTime'> & { EventTime: number | string }>;
  NextToken?: string;
}

const INSIGHT_SOURCE = 'ec2.amazonaws.com';

/** A CloudTrail-Insight file: Insights records carry eventSource and eventName inside insightDetails. */
function insightFile(): GeneratedFile {
  const records = ['2026-03-01T06:00:00Z', '2026-03-01T07:00:00Z', '2026-03-02T09:30:00Z'].map((eventTime, i) => ({
    eventVersion: '1.08',
    eventTime,
    awsRegion: 'us-east-1',
    eventID: randomUUID(),
    eventType: 'AwsCloudTrailInsight',
    recipientAccountId: ACCOUNT_A,
    sharedEventID: randomUUID(),
    insightDetails: {
      state: i % 2 === 0 ? 'Start' : 'End',
      eventSource: INSIGHT_SOURCE,
      eventName: 'RunInstances',
      insightType: 'ApiCallRateInsight',
      insightContext: { statistics: { baseline: { average: 0.0417 }, insight: { average: 3 } } },
    },
    eventCategory: 'Insight',
  }));
  // spaced differently from JSON.stringify, so that only a byte-exact copy compares equal
  const rawRecords = records.map((r) => JSON.stringify(r, null, 1).replace(/\n/g, ' '));
  return {
    key: `AWSLogs/${ACCOUNT_A}/CloudTrail-Insight/us-east-1/2026/03/02/${ACCOUNT_A}_CloudTrail-Insight_us-east-1_20260302T1000Z_abcdefabcdef0123.json.gz`,
    body: gzipSync(Buffer.from(`{"Records":[${rawRecords.join(',')}]}`, 'utf8')),
    account: ACCOUNT_A,
    region: 'us-east-1',
    deliveryDate: '2026-03-02',
    records,
    rawRecords,
  };
}

describe.each(awsClis())('the AWS CLI (%s) against LookupEvents', (awsBin) => {
  let store: SeededStore;
  let api: TestApi;
  let key: { id: string; secret: string };
  let home: string;
  let awsVersion: string;

  function awsEnv(credentials: { id: string; secret: string }): NodeJS.ProcessEnv {
    // nothing from this process's environment (which holds the S3 credentials) or from ~/.aws
    return {
      PATH: process.env.PATH,
      HOME: home,
      LC_ALL: 'C.UTF-8',
      AWS_ACCESS_KEY_ID: credentials.id,
      AWS_SECRET_ACCESS_KEY: credentials.secret,
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_PAGER: '',
      AWS_CONFIG_FILE: path.join(home, 'no-such-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-such-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_MAX_ATTEMPTS: '1',
    };
  }

  function runAws(args: string[], credentials = key): Promise<AwsRun> {
    return new Promise((resolve, reject) => {
      execFile(awsBin, args, { env: awsEnv(credentials), maxBuffer: 256 * 1024 * 1024, timeout: 240000 }, (err, stdout, stderr) => {
        if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(new Error('the AWS CLI is not installed: no `aws` on PATH. This suite drives the real AWS CLI; install it (Debian: apt-get install awscli, as .ci/run does).'));
          return;
        }
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** `aws cloudtrail lookup-events --output json ...`, which must succeed. */
  async function lookup(args: string[]): Promise<AwsPage> {
    const res = await runAws(['cloudtrail', 'lookup-events', '--endpoint-url', api.url, '--output', 'json', ...args]);
    if (res.code !== 0) throw new Error(`aws ${args.join(' ')} exited ${res.code}: ${res.stderr}`);
    return JSON.parse(res.stdout) as AwsPage;
  }

  /** `trailscope search --json --raw` with the same filters, as the CLI prints it. */
  async function searchCli(flags: string[]): Promise<TypedEvent[]> {
    const res = await runCli(['search', ...flags, '--limit', '100000', '--json', '--raw'], { env: { TRAILSCOPE_NAMESPACE: store.ns, TRAILSCOPE_SERVER_KEY: undefined } });
    if (res.code !== 0) throw new Error(`trailscope search ${flags.join(' ')} exited ${res.code}: ${res.stderr}`);
    return res.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as TypedEvent);
  }

  // LookupEvents leaves Insights events out unless asked for them; `trailscope search` has no such default
  const withoutInsights = (events: TypedEvent[]) => events.filter((e) => e.eventCategory !== 'Insight');

  const epochMs = (t: number | string) => (typeof t === 'number' ? t * 1000 : Date.parse(t));
  const normalized = (events: AwsPage['Events']): LookupEvent[] => events.map((e) => ({ ...e, EventTime: epochMs(e.EventTime) / 1000 }));

  /** The CLI's answer equals the search's events in the LookupEvents shape, in the same order, raw record included. */
  function expectSameEvents(awsEvents: AwsPage['Events'], searched: TypedEvent[]): void {
    expect(normalized(awsEvents)).toEqual(searched.map(toLookupEvent));
    const seeded = new Map(store.events.map((e) => [e.id, e]));
    for (const e of awsEvents) {
      const s = seeded.get(e.EventId!);
      expect(s).toBeDefined();
      // byte for byte as in the log file
      expect(e.CloudTrailEvent).toBe(s!.raw);
      expect(epochMs(e.EventTime)).toBe(Date.parse(s!.record.eventTime));
    }
  }

  beforeAll(async () => {
    home = mkdtempSync(path.join(tmpdir(), 'trailscope-aws-cli-'));
    store = await seedStore('t-awscli', [...standardTrail(83), insightFile()]);
    api = await startTestApi(store);
    key = await api.keys.create({ name: 'aws-cli' });
    const version = await runAws(['--version']);
    awsVersion = `${version.stdout}${version.stderr}`.trim();
    if (version.code !== 0 || !/^aws-cli\/\d/.test(awsVersion)) throw new Error(`aws --version failed: ${awsVersion}`);
  });
  afterAll(async () => {
    await api?.close();
    await store?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  const ui = (e: SeedEvent) => e.record.userIdentity ?? {};
  const notInsight = (e: SeedEvent) => e.record.eventCategory !== 'Insight';

  it('pages through every event newest first with auto-pagination, as trailscope search lists them', async () => {
    expect(awsVersion).toMatch(/^aws-cli\/\d/);
    const page = await lookup(['--page-size', '20']);
    expect(page.NextToken).toBeUndefined();
    const searched = withoutInsights(await searchCli([]));
    // several pages of 20 were followed
    expect(searched.length).toBeGreaterThan(5 * 20);
    expect(page.Events.map((e) => e.EventId).sort()).toEqual(store.want(notInsight));
    expectSameEvents(page.Events, searched);
    const times = page.Events.map((e) => epochMs(e.EventTime));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  const ATTRIBUTES: Array<[string, (s: SeededStore) => string, (v: string) => string[], (e: SeedEvent, v: string) => boolean]> = [
    ['EventId', (s) => s.events[17]!.id, (v) => ['--event-id', v], (e, v) => e.id === v],
    ['EventName', () => 'DeleteBucket', (v) => ['--event-name', v], (e, v) => e.record.eventName === v],
    ['ReadOnly', () => 'false', (v) => ['--read-only', v], (e) => e.record.readOnly === false],
    [
      'Username',
      () => 'carol',
      (v) => ['--user', v],
      (e, v) => ui(e).userName === v || String(ui(e).arn ?? '').endsWith(`/${v}`) || String(ui(e).principalId ?? '').endsWith(`:${v}`) || ui(e).sessionContext?.sessionIssuer?.userName === v,
    ],
    ['ResourceType', () => 'AWS::S3::Bucket', (v) => ['--resource-type', v], (e, v) => (e.record.resources ?? []).some((r: { type: string }) => r.type === v)],
    [
      'ResourceName',
      () => 'logs-1',
      (v) => ['--resource', v],
      (e, v) => (e.record.resources ?? []).some((r: { ARN: string }) => r.ARN.endsWith(`:${v}`) || r.ARN.endsWith(`/${v}`)),
    ],
    ['EventSource', () => INSIGHT_SOURCE, (v) => ['--event-source', v], (e, v) => e.record.eventSource === v],
    ['AccessKeyId', (s) => String(s.events.find((e) => ui(e).accessKeyId)!.record.userIdentity.accessKeyId), (v) => ['--access-key-id', v], (e, v) => ui(e).accessKeyId === v],
  ];

  it.each(ATTRIBUTES)('--lookup-attributes AttributeKey=%s answers what trailscope search finds', async (attribute, valueOf, flagsOf, pred) => {
    const value = valueOf(store);
    const want = store.want((e) => notInsight(e) && pred(e, value));
    expect(want.length).toBeGreaterThan(0);
    const page = await lookup(['--lookup-attributes', `AttributeKey=${attribute},AttributeValue=${value}`, '--page-size', '50']);
    expect(page.Events.map((e) => e.EventId).sort()).toEqual(want);
    expectSameEvents(page.Events, withoutInsights(await searchCli(flagsOf(value))));
  });

  it('--start-time and --end-time (ISO-8601 and epoch seconds) bound the range at both ends, inclusive', async () => {
    const times = [...new Set(store.events.filter(notInsight).map((e) => String(e.record.eventTime)))].sort();
    const start = times[25]!;
    const end = times[times.length - 25]!;
    const page = await lookup(['--start-time', start, '--end-time', String(Date.parse(end) / 1000)]);
    const want = store.want((e) => notInsight(e) && e.record.eventTime >= start && e.record.eventTime <= end);
    expect(want.length).toBeGreaterThan(20);
    expect(page.Events.map((e) => e.EventId).sort()).toEqual(want);
    // both ends are events of the store, so an exclusive bound would lose them
    expect(page.Events.some((e) => epochMs(e.EventTime) === Date.parse(start))).toBe(true);
    expect(page.Events.some((e) => epochMs(e.EventTime) === Date.parse(end))).toBe(true);
    expectSameEvents(page.Events, withoutInsights(await searchCli(['--from', start, '--to', end])));
  });

  it.each([
    ['in the middle of a page', 5],
    ['after whole pages and part of one', 47],
  ])('--max-items stops %s with a NextToken that resumes exactly where it stopped', async (_where, maxItems) => {
    const all = withoutInsights(await searchCli([]));
    const first = await lookup(['--max-items', String(maxItems), '--page-size', '20']);
    expect(first.Events).toHaveLength(maxItems);
    expect(first.NextToken).toEqual(expect.any(String));
    const rest = await lookup(['--starting-token', first.NextToken!, '--page-size', '20']);
    expect(rest.NextToken).toBeUndefined();
    expectSameEvents([...first.Events, ...rest.Events], all);
  });

  it('--event-category insight answers the Insights events only', async () => {
    const page = await lookup(['--event-category', 'insight']);
    const insights = store.events.filter((e) => e.record.eventCategory === 'Insight');
    expect(page.Events.map((e) => e.EventId).sort()).toEqual(insights.map((e) => e.id).sort());
    expect(page.Events.map((e) => e.EventName)).toEqual(['RunInstances', 'RunInstances', 'RunInstances']);
    expectSameEvents(page.Events, await searchCli(['--event-category', 'Insight']));
  });

  it('reports AWS errors by their AWS type, and never logs a secret', async () => {
    const bad = await runAws(['cloudtrail', 'lookup-events', '--endpoint-url', api.url, '--lookup-attributes', 'AttributeKey=ReadOnly,AttributeValue=maybe']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/\(InvalidLookupAttributesException\).*ReadOnly/);

    const range = await runAws(['cloudtrail', 'lookup-events', '--endpoint-url', api.url, '--start-time', '2026-03-02T00:00:00Z', '--end-time', '2026-03-01T00:00:00Z']);
    expect(range.stderr).toMatch(/\(InvalidTimeRangeException\)/);

    const wrongSecret = await runAws(['cloudtrail', 'lookup-events', '--endpoint-url', api.url], { id: key.id, secret: `${key.secret}x` });
    const unknownKey = await runAws(['cloudtrail', 'lookup-events', '--endpoint-url', api.url], { id: 'TSAAAAAAAAAAAAAAAAAA', secret: key.secret });
    expect(wrongSecret.stderr).toMatch(/\(InvalidSignatureException\)/);
    // an unknown key id gets the very answer a wrong secret gets
    expect(unknownKey.stderr).toBe(wrongSecret.stderr);

    const other = await runAws(['cloudtrail', 'describe-trails', '--endpoint-url', api.url]);
    expect(other.stderr).toMatch(/\(UnknownOperationException\).*DescribeTrails/);
    expect(api.logs()).not.toContain(key.secret);
  });
});
