import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipLogFile, logFileKey, uploadFiles } from '@trailscope/fixtures';
import { installTemplates } from '@trailscope/indexer';
import { createIngestQueue, pendingCounts, type IngestQueue } from '@trailscope/queue';
import type { FindingDoc } from '@trailscope/detect';
import { runCli, waitFor } from '../support/env';
import { createScope, type TestScope } from '../ingest/support/services';
import { startCli } from '../ingest/support/processes';

const KEY_ACCOUNT = '222233334444';
const CALLER_ACCOUNT = '999988887777';
const RULE = '5a1f0c1e-0000-4000-8000-0000000000c3';

/** A record without recipientAccountId, as some services' events are: the caller's account is another one. */
const record = {
  eventVersion: '1.08',
  userIdentity: { type: 'AssumedRole', principalId: 'AROAX:ops', arn: `arn:aws:sts::${CALLER_ACCOUNT}:assumed-role/Ops/ops`, accountId: CALLER_ACCOUNT },
  eventTime: '2026-03-11T07:00:00Z',
  eventSource: 's3.amazonaws.com',
  eventName: 'PutBucketPolicy',
  awsRegion: 'eu-west-1',
  sourceIPAddress: '198.51.100.88',
  userAgent: 'aws-cli/2.15.0',
  requestParameters: { bucketName: 'shared-bucket' },
  eventID: '0000acct-0000-4000-8000-000000000001',
  readOnly: false,
  eventType: 'AwsApiCall',
  managementEvent: true,
  eventCategory: 'Management',
};

const ruleText = `title: Test bucket policy changed
id: ${RULE}
status: test
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventName: PutBucketPolicy
  condition: selection
level: medium
`;

describe('records without recipientAccountId get the account of their log file key on every path', () => {
  let scope: TestScope;
  let queue: IngestQueue;
  let dir: string;
  const key = logFileKey({ account: KEY_ACCOUNT, region: 'eu-west-1', fileTimeMs: Date.parse('2026-03-11T07:05:00Z'), suffix: 'acct000000000001' });
  const env = () => ({ TRAILSCOPE_NAMESPACE: scope.ns, TRAILSCOPE_RULES_REFRESH_MS: '300' });
  const lineOf = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

  beforeAll(async () => {
    scope = await createScope('t-detect-acct');
    queue = createIngestQueue(scope.config, scope.redis);
    dir = await mkdtemp(join(tmpdir(), 'ts-acct-'));
    await mkdir(join(dir, 'rules'));
    await writeFile(join(dir, 'rules', 'rule.yml'), ruleText);
    const body = gzipLogFile([JSON.stringify(record)]);
    await uploadFiles(scope.s3, scope.bucket, [{ key, body }]);
    // the same file as `aws s3 sync` leaves it, and the record alone as NDJSON
    await mkdir(dirname(join(dir, 'synced', key)), { recursive: true });
    await writeFile(join(dir, 'synced', key), body);
    await writeFile(join(dir, 'events.ndjson'), `${JSON.stringify(record)}\n`);
    await installTemplates(scope.opensearch, scope.config);
  });

  afterAll(async () => {
    await queue?.close();
    await scope?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('live detection, backtest and rules test report the same account', async () => {
    expect((await runCli(['rules', 'apply', join(dir, 'rules'), '--json'], { env: env() })).code).toBe(0);
    const worker = startCli(['worker', '--concurrency', '1'], env());
    try {
      expect((await runCli(['backfill', '--bucket', scope.bucket, '--json'], { env: env() })).code).toBe(0);
      await waitFor(async () => (await pendingCounts(queue)).total === 0, { timeoutMs: 120000, intervalMs: 300, what: 'ingest queue drained' });
      await waitFor(async () => (await scope.redis.zcard(`${scope.config.names.redisPrefix}detect:pending`)) === 0, { timeoutMs: 120000, intervalMs: 300, what: 'the file evaluated' });
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
    await scope.opensearch.indices.refresh({ index: scope.config.names.findingsIndex });
    const res = await scope.opensearch.search({ index: scope.config.names.findingsIndex, body: { query: { match_all: {} } } as never });
    const live = (res.body as unknown as { hits: { hits: Array<{ _source: FindingDoc }> } }).hits.hits.map((h) => h._source);
    expect(live.map((f) => [f.ruleId, f.account, f.region])).toEqual([[RULE, KEY_ACCOUNT, 'eu-west-1']]);

    const backtest = await runCli(['rules', 'backtest', join(dir, 'rules'), '--json'], { env: env() });
    expect(backtest.code).toBe(0);
    const [match] = lineOf(backtest.stdout);
    expect(match).toEqual({ ruleId: RULE, eventId: live[0]!.eventIds[0], eventTime: record.eventTime, account: KEY_ACCOUNT, region: 'eu-west-1' });

    const synced = await runCli(['rules', 'test', join(dir, 'rules'), '--events', join(dir, 'synced', key), '--json']);
    expect(synced.code).toBe(0);
    expect(lineOf(synced.stdout)[0]).toEqual(match);
    const withKey = await runCli(['rules', 'test', join(dir, 'rules'), '--events', join(dir, 'events.ndjson'), '--key', key, '--json']);
    expect(withKey.code).toBe(0);
    expect(lineOf(withKey.stdout)[0]).toEqual(match);
    // without a key, nothing names the log file's account: the caller's stands in, as the indexer would do too
    const bare = await runCli(['rules', 'test', join(dir, 'rules'), '--events', join(dir, 'events.ndjson'), '--json']);
    expect(lineOf(bare.stdout)[0]).toEqual({ ...match, account: CALLER_ACCOUNT });
  });

  it('refuses a --key that is not a CloudTrail log key, naming it', async () => {
    const res = await runCli(['rules', 'test', join(dir, 'rules'), '--events', join(dir, 'events.ndjson'), '--key', 'logs/today.json.gz']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--key "logs/today.json.gz" is not a CloudTrail log key');
  });
});
