import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { apiCallRecord, uploadFiles } from '@trailscope/fixtures';
import { installTemplates } from '@trailscope/indexer';
import { alertQueueName, alertsInJob, heldAlerts, type IngestQueue } from '@trailscope/queue';
import { Queue } from 'bullmq';
import { runCli, waitFor } from '../support/env';
import type { TestScope } from '../ingest/support/services';
import { startCli, type CliProcess } from '../ingest/support/processes';
import type { AlertReceiver } from './support/receiver';
import { tearDownAlertSuite } from './support/teardown';
import { alertsEnv, applyRulesAndAlerts, eventNameRule, hookAlertsFile, logFileOf, setUpAlertSuite } from './support/alerts-env';

const ACCOUNT = '474747474747';
const SECRET = 'delivery-order-secret-0123456789';
const RULE_ID = '7f5e0000-0000-4000-8000-000000000001';
const FINDINGS = 30;

function record(i: number): Record<string, unknown> {
  return apiCallRecord({
    account: ACCOUNT,
    userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::${ACCOUNT}:user/u${i}`, accountId: ACCOUNT, principalId: `AIDAEXAMPLE${i}` },
    eventTime: new Date(Date.parse('2026-07-01T10:00:00Z') + i * 7000).toISOString().replace('.000', ''),
    eventSource: 's3.amazonaws.com',
    eventName: 'DeleteBucket',
    region: 'us-east-1',
    sourceIPAddress: '192.0.2.20',
    userAgent: 'aws-cli/2',
    requestParameters: { bucketName: `b${i}` },
    eventID: `7f5e${String(i).padStart(4, '0')}-aaaa-4bbb-8ccc-aaaaaaaaaaaa`,
  });
}

describe('delivery order', () => {
  let scope: TestScope;
  let queue: IngestQueue;
  let dir: string;
  let receiver: AlertReceiver;
  const running: CliProcess[] = [];
  const env = () => alertsEnv(scope.ns);
  let sender: CliProcess | undefined;

  beforeAll(async () => {
    ({ scope, queue, dir, receiver } = await setUpAlertSuite('order', SECRET, false));
    await writeFile(join(dir, 'rules', 'rules.yml'), eventNameRule(RULE_ID, 'Test bucket deleted', 'DeleteBucket', 'high'));
    await writeFile(join(dir, 'alerts.yml'), hookAlertsFile(receiver.url('/hook'), SECRET, 'delivery: {backoffBase: 200ms, backoffMax: 1s}\n'));
    // the file lists the events out of time order (a file's order is not the findings' order)
    const order = Array.from({ length: FINDINGS }, (_, i) => (i * 7) % FINDINGS);
    await uploadFiles(scope.s3, scope.bucket, [logFileOf(order.map((i) => record(i)), { account: ACCOUNT, region: 'us-east-1', fileTime: '2026-07-01T10:15:00Z', suffix: '7f5e000000000001' })]);
    await installTemplates(scope.opensearch, scope.config);
  });

  afterAll(() => tearDownAlertSuite({ running, receiver, queue, scope, dir }));

  it('a destination that was down, then answered 503, receives every alert once, in the order of its findings\' event time, the failed one retried first', async () => {
    await applyRulesAndAlerts(dir, env());
    sender = startCli(['alerts', 'send'], env());
    running.push(sender);
    expect((await runCli(['backfill', '--bucket', scope.bucket, '--alert', '--json'], { env: env() })).code).toBe(0);
    const worker = startCli(['worker', '--concurrency', '2'], env());
    running.push(worker);
    const hook = new Queue(alertQueueName(scope.config, 'hook'), { connection: scope.redis });
    try {
      // a job holds one alert or a detection pass's alerts for the destination
      await waitFor(async () => (await hook.getJobs(['waiting', 'active', 'delayed'])).reduce((n, j) => n + alertsInJob(j.data), 0) === FINDINGS, { timeoutMs: 240000, intervalMs: 500, what: 'every alert queued' });
      await waitFor(async () => (await hook.getJobs(['waiting', 'active', 'delayed'])).some((j) => j.attemptsStarted > 3), { timeoutMs: 60000, what: 'failed attempts while the receiver is down' });
    } finally {
      await hook.close();
    }
    receiver.fail503 = 5;
    await receiver.up();
    await waitFor(() => receiver.acceptedKeys('/hook').size === FINDINGS, { timeoutMs: 180000, intervalMs: 500, what: 'every alert accepted' });

    const accepted = receiver.accepted('/hook');
    expect(accepted.every((r) => r.signatureValid)).toBe(true);
    expect(accepted).toHaveLength(FINDINGS);
    const times = accepted.map((r) => String(r.body.eventTime));
    expect(times).toEqual(Array.from({ length: FINDINGS }, (_, i) => String(record(i).eventTime)));
    // the 503s all went to the first alert: nothing overtook it while it was retried
    const refused = receiver.received.filter((r) => r.status === 503);
    expect(refused).toHaveLength(5);
    expect(new Set(refused.map((r) => r.idempotencyKey))).toEqual(new Set([accepted[0]?.idempotencyKey]));
    worker.child.kill('SIGTERM');
    await worker.exited;
  });

  it('a pass\'s alerts travel as one job: an alert of it refused with 404 is dead-lettered alone, the others are sent in order, and --retry sends it', async () => {
    sender?.child.kill('SIGTERM');
    await sender?.exited;
    const BATCH = 10;
    const later = Array.from({ length: BATCH }, (_, i) => record(100 + i));
    await uploadFiles(scope.s3, scope.bucket, [logFileOf(later, { account: ACCOUNT, region: 'us-east-1', fileTime: '2026-07-01T11:15:00Z', suffix: '7f5e000000000002' })]);
    expect((await runCli(['backfill', '--bucket', scope.bucket, '--alert', '--json'], { env: env() })).code).toBe(0);
    const worker = startCli(['worker', '--concurrency', '2'], env());
    running.push(worker);
    const hook = new Queue(alertQueueName(scope.config, 'hook'), { connection: scope.redis });
    let alerts: Array<{ id: string; eventTime: string }> = [];
    try {
      await waitFor(async () => (await hook.getJobs(['waiting'])).length > 0, { timeoutMs: 240000, intervalMs: 500, what: 'the pass\'s alerts queued' });
      const jobs = await hook.getJobs(['waiting', 'delayed', 'active']);
      expect(jobs.map((j) => alertsInJob(j.data))).toEqual([BATCH]);
      // what delivery.maxQueued bounds: the alerts not sent yet, whatever the jobs
      expect(await heldAlerts(hook)).toBe(BATCH);
      alerts = jobs[0]?.data.alerts as typeof alerts;
    } finally {
      await hook.close();
    }
    expect(alerts.map((a) => a.eventTime)).toEqual(later.map((r) => String(r.eventTime)));
    const refusedKey = String(alerts[3]?.id);
    receiver.statusByKey.set(refusedKey, 404);
    const before = receiver.received.length;
    sender = startCli(['alerts', 'send'], env());
    running.push(sender);
    await waitFor(() => receiver.received.length - before === BATCH, { timeoutMs: 120000, intervalMs: 500, what: 'every alert of the pass tried' });
    const tried = receiver.received.slice(before);
    expect(tried.map((r) => r.idempotencyKey)).toEqual(alerts.map((a) => a.id));
    expect(tried.filter((r) => r.status === 404).map((r) => r.idempotencyKey)).toEqual([refusedKey]);

    const failed = await waitFor(async () => {
      const rows = (await runCli(['alerts', 'failed', '--json'], { env: env() })).stdout.trim().split('\n').filter(Boolean);
      return rows.length > 0 ? rows.map((l) => JSON.parse(l) as { alertId: string; reason: string }) : undefined;
    }, { timeoutMs: 60000, intervalMs: 500, what: 'the refused alert dead-lettered' });
    expect(failed).toEqual([expect.objectContaining({ alertId: refusedKey, reason: expect.stringContaining('answered HTTP 404') })]);

    receiver.statusByKey.delete(refusedKey);
    expect(JSON.parse((await runCli(['alerts', 'failed', '--retry', '--json'], { env: env() })).stdout)).toEqual({ retried: 1 });
    await waitFor(() => receiver.acceptedKeys('/hook').has(refusedKey), { timeoutMs: 60000, intervalMs: 500, what: 'the retried alert delivered' });
    expect(receiver.received.slice(before + BATCH).map((r) => r.idempotencyKey)).toEqual([refusedKey]);
    expect((await runCli(['alerts', 'failed', '--json'], { env: env() })).stdout).toBe('');
    const after = new Queue(alertQueueName(scope.config, 'hook'), { connection: scope.redis });
    try {
      await waitFor(async () => (await heldAlerts(after)) === 0, { timeoutMs: 30000, what: 'nothing held once all is sent' });
    } finally {
      await after.close();
    }
    worker.child.kill('SIGTERM');
    await worker.exited;
  });
});
