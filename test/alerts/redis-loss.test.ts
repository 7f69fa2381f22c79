import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { apiCallRecord, uploadFiles, type GeneratedFile } from '@trailscope/fixtures';
import { installTemplates } from '@trailscope/indexer';
import { alertIdFor } from '@trailscope/alerts';
import { alertQueueName, type IngestQueue } from '@trailscope/queue';
import type { FindingDoc } from '@trailscope/detect';
import { runCli, waitFor } from '../support/env';
import type { TestScope } from '../ingest/support/services';
import { startCli, type CliProcess } from '../ingest/support/processes';
import type { AlertReceiver } from './support/receiver';
import { tearDownAlertSuite } from './support/teardown';
import { alertsEnv, eventNameRule, hookAlertsFile, logFileOf, setUpAlertSuite, waitForIngestEvaluated } from './support/alerts-env';

const ACCOUNT = '333333333333';
const SECRET = 'redis-loss-secret-0123456789';
const RULE_ID = '7c3f0000-0000-4000-8000-000000000001';

function record(i: number, batch = 'cccccccccccc'): Record<string, unknown> {
  return apiCallRecord({
    account: ACCOUNT,
    userIdentity: { type: 'AssumedRole', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/u${i}`, accountId: ACCOUNT },
    eventTime: new Date(Date.parse('2026-05-01T10:00:00Z') + i * 60_000).toISOString().replace('.000', ''),
    eventSource: 'cloudtrail.amazonaws.com',
    eventName: 'StopLogging',
    region: 'eu-west-1',
    sourceIPAddress: '192.0.2.77',
    userAgent: 'aws-cli/2',
    requestParameters: { name: `trail-${i}` },
    eventID: `7c3f${String(i).padStart(4, '0')}-aaaa-4bbb-8ccc-${batch}`,
  });
}

function logFile(batch: string, suffix: string): GeneratedFile {
  const records = Array.from({ length: 5 }, (_, i) => record(i, batch));
  return logFileOf(records, { account: ACCOUNT, region: 'eu-west-1', fileTime: '2026-05-01T10:10:00Z', suffix });
}

async function unlinkMatching(scope: TestScope, pattern: string): Promise<number> {
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await scope.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) n += await scope.redis.unlink(...keys);
  } while (cursor !== '0');
  return n;
}

describe('alerts queued before Redis lost its data, and over the queue bound', () => {
  let scope: TestScope;
  let queue: IngestQueue;
  let dir: string;
  let receiver: AlertReceiver;
  const running: CliProcess[] = [];
  const env = () => alertsEnv(scope.ns);
  const alertsFile = (extra: string) => hookAlertsFile(receiver.url('/hook'), SECRET, `delivery: {backoffBase: 200ms, backoffMax: 1s, reconcile: 2s${extra}}\n`);

  async function ingest(): Promise<void> {
    expect((await runCli(['backfill', '--bucket', scope.bucket, '--alert', '--json'], { env: env() })).code).toBe(0);
    const worker = startCli(['worker', '--concurrency', '2'], env());
    running.push(worker);
    await waitForIngestEvaluated(scope, queue);
    worker.child.kill('SIGTERM');
    await worker.exited;
  }

  async function findings(): Promise<FindingDoc[]> {
    await scope.opensearch.indices.refresh({ index: scope.config.names.findingsIndex });
    const res = await scope.opensearch.search({ index: scope.config.names.findingsIndex, body: { size: 100, query: { match_all: {} } } as never });
    return (res.body as unknown as { hits: { hits: Array<{ _source: FindingDoc }> } }).hits.hits.map((h) => h._source);
  }

  beforeAll(async () => {
    ({ scope, queue, dir, receiver } = await setUpAlertSuite('loss', SECRET, false));
    await writeFile(join(dir, 'rules', 'stop.yml'), eventNameRule(RULE_ID, 'Test logging stopped', 'StopLogging', 'high'));
    await uploadFiles(scope.s3, scope.bucket, [logFile('cccccccccccc', '7c3f000000000001')]);
    await installTemplates(scope.opensearch, scope.config);
  });

  afterAll(() => tearDownAlertSuite({ running, receiver, queue, scope, dir }));

  it('every alert is delivered after the alert queues were wiped from Redis', async () => {
    expect((await runCli(['rules', 'apply', join(dir, 'rules')], { env: env() })).code).toBe(0);
    await writeFile(join(dir, 'alerts.yml'), alertsFile(''));
    expect((await runCli(['alerts', 'apply', join(dir, 'alerts.yml')], { env: env() })).code).toBe(0);
    await ingest();
    const stored = await findings();
    expect(stored).toHaveLength(5);

    // what a Redis restart without persistence does to the queued alerts
    expect(await scope.redis.exists(`bull:${alertQueueName(scope.config, 'hook')}:meta`)).toBe(1);
    expect(await unlinkMatching(scope, `bull:${alertQueueName(scope.config, 'hook')}:*`)).toBeGreaterThan(5);

    await receiver.up();
    const sender = startCli(['alerts', 'send'], env());
    running.push(sender);
    const expected = stored.map((f) => alertIdFor(f.id)).sort();
    await waitFor(() => receiver.acceptedKeys('/hook').size === expected.length, { timeoutMs: 120000, intervalMs: 500, what: 'every alert delivered' });
    expect([...receiver.acceptedKeys('/hook')].sort()).toEqual(expected);
    expect(receiver.received.every((r) => r.signatureValid && expected.includes(r.idempotencyKey))).toBe(true);
    sender.child.kill('SIGTERM');
    await sender.exited;
  });

  it('alerts over delivery.maxQueued are dead-lettered at once, listed, and sent by --retry', async () => {
    await writeFile(join(dir, 'alerts.yml'), alertsFile(', maxQueued: 3'));
    expect((await runCli(['alerts', 'apply', join(dir, 'alerts.yml')], { env: env() })).code).toBe(0);
    const before = new Set((await findings()).map((f) => f.id));
    await uploadFiles(scope.s3, scope.bucket, [logFile('dddddddddddd', '7c3f000000000002')]);
    await ingest();
    const fresh = (await findings()).filter((f) => !before.has(f.id));
    expect(fresh).toHaveLength(5);
    const expected = fresh.map((f) => alertIdFor(f.id)).sort();

    const failed = await runCli(['alerts', 'failed', '--json'], { env: env() });
    const rows = failed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { alertId: string; reason: string; destination: string });
    expect(rows.map((r) => r.alertId).sort()).toEqual(expected);
    expect(rows.every((r) => r.destination === 'hook' && r.reason.includes('delivery.maxQueued'))).toBe(true);

    const sender = startCli(['alerts', 'send'], env());
    running.push(sender);
    const retried = await runCli(['alerts', 'failed', '--retry', '--json'], { env: env() });
    expect(JSON.parse(retried.stdout)).toEqual({ retried: 5 });
    await waitFor(() => expected.every((k) => receiver.acceptedKeys('/hook').has(k)), { timeoutMs: 120000, intervalMs: 500, what: 'the overflowed alerts delivered' });
    expect((await runCli(['alerts', 'failed', '--json'], { env: env() })).stdout).toBe('');
  });
});
