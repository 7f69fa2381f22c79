import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipLogFile, logFileKey, uploadFiles } from '@trailscope/fixtures';
import { installTemplates } from '@trailscope/indexer';
import { alertQueueName, createIngestQueue, type IngestQueue } from '@trailscope/queue';
import { Queue } from 'bullmq';
import { runCli, waitFor } from '../support/env';
import { createScope, type TestScope } from '../ingest/support/services';
import { freePort, startCli, type CliProcess } from '../ingest/support/processes';
import { AlertReceiver } from './support/receiver';
import { HoldingProxy } from './support/holding-proxy';
import { tearDownAlertSuite } from './support/teardown';
import { alertsEnv } from './support/alerts-env';

const ACCOUNT = '464646464646';
const SECRET = 'throttle-kill-secret-0123456789';
const RULE_ID = '7e4d0000-0000-4000-8000-000000000001';
const ARN = `arn:aws:sts::${ACCOUNT}:assumed-role/Scanner/s1`;
const MATCHES = 200;
const WINDOW_S = 20;

const RULE_TEXT = `title: Test bucket listing
id: ${RULE_ID}
status: test
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: ListBuckets}
  condition: sel
level: medium
`;

function record(i: number): Record<string, unknown> {
  return {
    eventVersion: '1.09',
    userIdentity: { type: 'AssumedRole', arn: ARN, accountId: ACCOUNT, principalId: 'AROAEXAMPLE:s1' },
    eventTime: new Date(Date.parse('2026-06-01T10:00:00Z') + i * 1000).toISOString().replace('.000', ''),
    eventSource: 's3.amazonaws.com',
    eventName: 'ListBuckets',
    awsRegion: 'us-east-1',
    sourceIPAddress: '192.0.2.10',
    userAgent: 'scanner/1.0',
    requestParameters: null,
    responseElements: null,
    eventID: `7e4d${String(i).padStart(4, '0')}-aaaa-4bbb-8ccc-aaaaaaaaaaaa`,
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
  };
}

describe('throttling windows survive a killed worker', () => {
  let scope: TestScope;
  let queue: IngestQueue;
  let dir: string;
  let receiver: AlertReceiver;
  let proxy: HoldingProxy;
  const running: CliProcess[] = [];
  const env = () => alertsEnv(scope.ns);

  beforeAll(async () => {
    scope = await createScope('t-alert-kill');
    queue = createIngestQueue(scope.config, scope.redis);
    dir = await mkdtemp(join(tmpdir(), 'ts-alert-kill-'));
    receiver = new AlertReceiver(await freePort(), SECRET);
    await receiver.up();
    proxy = new HoldingProxy(new URL(scope.config.opensearch.url));
    await proxy.start();
    await mkdir(join(dir, 'rules'));
    await writeFile(join(dir, 'rules', 'rules.yml'), RULE_TEXT);
    await writeFile(
      join(dir, 'alerts.yml'),
      `destinations:
  - {name: hook, type: webhook, url: "${receiver.url('/hook')}", secret: "${SECRET}"}
routes:
  - {destination: hook}
throttles:
  - {rule: ${RULE_ID}, groupBy: [userIdentity.arn, eventName], window: ${WINDOW_S}s}
delivery: {backoffBase: 200ms, backoffMax: 2s}
`,
    );
    const records = Array.from({ length: MATCHES }, (_, i) => record(i));
    const rawRecords = records.map((r) => JSON.stringify(r));
    await uploadFiles(scope.s3, scope.bucket, [
      { key: logFileKey({ account: ACCOUNT, region: 'us-east-1', fileTimeMs: Date.parse('2026-06-01T10:15:00Z'), suffix: '7e4d000000000001' }), body: gzipLogFile(rawRecords) },
    ]);
    await installTemplates(scope.opensearch, scope.config);
  });

  afterAll(async () => {
    await proxy.stop();
    await tearDownAlertSuite({ running, receiver, queue, scope, dir });
  });

  it(`a worker SIGKILLed before it queued a window's alert, and again before it wrote the findings, then restarted after the window ended: one alert and one summary counting ${MATCHES}`, async () => {
    expect((await runCli(['rules', 'apply', join(dir, 'rules')], { env: env() })).code).toBe(0);
    expect((await runCli(['alerts', 'apply', join(dir, 'alerts.yml')], { env: env() })).code).toBe(0);
    const sender = startCli(['alerts', 'send'], env());
    running.push(sender);
    expect((await runCli(['backfill', '--bucket', scope.bucket, '--alert', '--json'], { env: env() })).code).toBe(0);
    const hook = new Queue(alertQueueName(scope.config, 'hook'), { connection: scope.redis });
    const alertJobs = async () => (await hook.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed'])).length;
    const throughProxy = { ...env(), OPENSEARCH_URL: proxy.url() };
    const kill = async (p: CliProcess) => {
      p.child.kill('SIGKILL');
      expect(await p.exited).toBe(137);
    };
    try {
      // 1. killed while recording the window's alert in OpenSearch, before it enters Redis: the window is counted
      proxy.arm((path, body) => path.startsWith('/_bulk') && body.includes('"kind":"delivery"'));
      const first = startCli(['worker', '--concurrency', '2'], throughProxy);
      running.push(first);
      await waitFor(() => proxy.held !== undefined, { timeoutMs: 180000, intervalMs: 200, what: 'the alert record held' });
      await kill(first);
      expect(await alertJobs()).toBe(0);
      expect(await scope.redis.keys(`${scope.config.names.redisPrefix}alerts:window:*`)).not.toEqual([]);

      // 2. the pass replayed: the alert and the window's summary are queued, then the worker dies before the findings
      proxy.arm((path, body) => path.startsWith('/_bulk') && body.includes(`"_index":"${scope.config.names.findingsIndex}"`));
      const second = startCli(['worker', '--concurrency', '2'], throughProxy);
      running.push(second);
      await waitFor(() => proxy.held !== undefined, { timeoutMs: 180000, intervalMs: 200, what: 'the findings write held' });
      await kill(second);
      expect(await alertJobs()).toBe(2);

      // 3. the window ends (its summary is sent), then the pass is replayed once more, after the window
      await waitFor(() => receiver.accepted('/hook').some((r) => r.body.kind === 'summary'), { timeoutMs: 120000, intervalMs: 500, what: 'the summary at the end of the window' });
      const third = startCli(['worker', '--concurrency', '2'], env());
      running.push(third);
      await waitFor(async () => (await scope.redis.zcard(`${scope.config.names.redisPrefix}detect:pending`)) === 0, { timeoutMs: 180000, intervalMs: 500, what: 'the file evaluated' });
      const stats = await runCli(['rules', 'stats', '--json'], { env: env() });
      expect(JSON.parse(stats.stdout.trim())).toEqual(expect.objectContaining({ ruleId: RULE_ID, findings: MATCHES }));
      await waitFor(async () => {
        const c = await hook.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
        return Object.values(c).every((n) => n === 0);
      }, { timeoutMs: 60000, intervalMs: 500, what: 'the alert queue empty' });
      expect(await alertJobs()).toBe(2);
    } finally {
      await hook.close();
    }
    const got = receiver.accepted('/hook');
    expect(got.every((r) => r.signatureValid)).toBe(true);
    expect(got.map((r) => ({ kind: r.body.kind, count: r.body.count, key: r.idempotencyKey }))).toEqual([
      { kind: 'alert', count: 1, key: String(got[0]?.body.id) },
      { kind: 'summary', count: MATCHES, key: `${String(got[0]?.body.id)}-summary` },
    ]);
  });
});
