import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { apiCallRecord, uploadFiles } from '@trailscope/fixtures';
import { installTemplates } from '@trailscope/indexer';
import { alertQueueName, type IngestQueue } from '@trailscope/queue';
import { Queue } from 'bullmq';
import { runCli, waitFor } from '../support/env';
import type { TestScope } from '../ingest/support/services';
import { startCli, type CliProcess } from '../ingest/support/processes';
import type { AlertReceiver } from './support/receiver';
import { HoldingProxy } from './support/holding-proxy';
import { tearDownAlertSuite } from './support/teardown';
import { alertsEnv, applyRulesAndAlerts, eventNameRule, hookAlertsFile, logFileOf, setUpAlertSuite } from './support/alerts-env';

const ACCOUNT = '464646464646';
const SECRET = 'throttle-kill-secret-0123456789';
const RULE_ID = '7e4d0000-0000-4000-8000-000000000001';
const ARN = `arn:aws:sts::${ACCOUNT}:assumed-role/Scanner/s1`;
const MATCHES = 200;
const WINDOW_S = 20;

function record(i: number): Record<string, unknown> {
  return apiCallRecord({
    account: ACCOUNT,
    userIdentity: { type: 'AssumedRole', arn: ARN, accountId: ACCOUNT, principalId: 'AROAEXAMPLE:s1' },
    eventTime: new Date(Date.parse('2026-06-01T10:00:00Z') + i * 1000).toISOString().replace('.000', ''),
    eventSource: 's3.amazonaws.com',
    eventName: 'ListBuckets',
    region: 'us-east-1',
    sourceIPAddress: '192.0.2.10',
    userAgent: 'scanner/1.0',
    eventID: `7e4d${String(i).padStart(4, '0')}-aaaa-4bbb-8ccc-aaaaaaaaaaaa`,
    readOnly: true,
  });
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
    ({ scope, queue, dir, receiver } = await setUpAlertSuite('kill', SECRET, true));
    proxy = new HoldingProxy(new URL(scope.config.opensearch.url));
    await proxy.start();
    await writeFile(join(dir, 'rules', 'rules.yml'), eventNameRule(RULE_ID, 'Test bucket listing', 'ListBuckets', 'medium'));
    await writeFile(
      join(dir, 'alerts.yml'),
      hookAlertsFile(
        receiver.url('/hook'),
        SECRET,
        `throttles:
  - {rule: ${RULE_ID}, groupBy: [userIdentity.arn, eventName], window: ${WINDOW_S}s}
delivery: {backoffBase: 200ms, backoffMax: 2s}
`,
      ),
    );
    const records = Array.from({ length: MATCHES }, (_, i) => record(i));
    await uploadFiles(scope.s3, scope.bucket, [logFileOf(records, { account: ACCOUNT, region: 'us-east-1', fileTime: '2026-06-01T10:15:00Z', suffix: '7e4d000000000001' })]);
    await installTemplates(scope.opensearch, scope.config);
  });

  afterAll(async () => {
    await proxy.stop();
    await tearDownAlertSuite({ running, receiver, queue, scope, dir });
  });

  it(`a worker SIGKILLed before it queued a window's alert, and again before it wrote the findings, then restarted after the window ended: one alert and one summary counting ${MATCHES}`, async () => {
    await applyRulesAndAlerts(dir, env());
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
