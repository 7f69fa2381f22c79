import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { apiCallRecord, uploadFiles, type GeneratedFile } from '@trailscope/fixtures';
import { installTemplates } from '@trailscope/indexer';
import { alertQueueName, type IngestQueue } from '@trailscope/queue';
import { Queue } from 'bullmq';
import { runCli, waitFor } from '../support/env';
import type { TestScope } from '../ingest/support/services';
import { startCli, type CliProcess } from '../ingest/support/processes';
import type { AlertReceiver } from './support/receiver';
import { tearDownAlertSuite } from './support/teardown';
import { alertsEnv, applyRulesAndAlerts, eventNameRule, hookAlertsFile, logFileOf, setUpAlertSuite, waitForIngestEvaluated } from './support/alerts-env';

const ACCOUNT = '444444444444';
const SECRET = 'throttle-secret-0123456789';
const LIST = '7b2e0000-0000-4000-8000-000000000001';
const TOKEN = '7b2e0000-0000-4000-8000-000000000002';
const ARN = `arn:aws:sts::${ACCOUNT}:assumed-role/Scanner/s1`;

function oldHistory(): Record<string, unknown> {
  return { ...record(0, 'ListBuckets'), eventTime: '2020-01-01T00:00:00Z', eventID: '7b2e0000-aaaa-4bbb-8ccc-0000000000ff', userIdentity: { type: 'AssumedRole', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Other/o1`, accountId: ACCOUNT } };
}

const RULE_TEXT = `${eventNameRule(LIST, 'Test bucket listing', 'ListBuckets', 'medium')}---
${eventNameRule(TOKEN, 'Test session token', 'GetSessionToken', 'medium')}`;

function record(i: number, eventName: string): Record<string, unknown> {
  return apiCallRecord({
    account: ACCOUNT,
    userIdentity: { type: 'AssumedRole', arn: ARN, accountId: ACCOUNT, principalId: 'AROAEXAMPLE:s1' },
    eventTime: new Date(Date.parse('2026-04-01T10:00:00Z') + i * 1000).toISOString().replace('.000', ''),
    eventSource: eventName === 'ListBuckets' ? 's3.amazonaws.com' : 'sts.amazonaws.com',
    eventName,
    region: 'us-east-1',
    sourceIPAddress: '192.0.2.10',
    userAgent: 'scanner/1.0',
    eventID: `7b2e${String(i).padStart(4, '0')}-aaaa-4bbb-8ccc-${eventName === 'ListBuckets' ? 'aaaaaaaaaaaa' : 'bbbbbbbbbbbb'}`,
    readOnly: true,
  });
}

function logFile(records: Array<Record<string, unknown>>, suffix: string, fileTime = '2026-04-01T10:15:00Z'): GeneratedFile {
  return logFileOf(records, { account: ACCOUNT, region: 'us-east-1', fileTime, suffix });
}

describe('throttling and mutes', () => {
  let scope: TestScope;
  let queue: IngestQueue;
  let dir: string;
  let receiver: AlertReceiver;
  const running: CliProcess[] = [];
  const env = () => alertsEnv(scope.ns);

  beforeAll(async () => {
    ({ scope, queue, dir, receiver } = await setUpAlertSuite('thr', SECRET, true));
    await writeFile(join(dir, 'rules', 'rules.yml'), RULE_TEXT);
    await writeFile(
      join(dir, 'alerts.yml'),
      hookAlertsFile(
        receiver.url('/hook'),
        SECRET,
        `throttles:
  - {rule: ${LIST}, groupBy: [userIdentity.arn, eventName], window: 20s}
delivery: {backoffBase: 200ms, backoffMax: 2s}
`,
      ),
    );
    await uploadFiles(scope.s3, scope.bucket, [
      logFile(Array.from({ length: 500 }, (_, i) => record(i, 'ListBuckets')), '7b2e000000000001'),
      logFile(Array.from({ length: 3 }, (_, i) => record(i, 'GetSessionToken')), '7b2e000000000002'),
      logFile([oldHistory()], '7b2e000000000003', '2020-01-01T00:15:00Z'),
    ]);
    await installTemplates(scope.opensearch, scope.config);
  });

  afterAll(() => tearDownAlertSuite({ running, receiver, queue, scope, dir }));

  it('500 matches of one group key give one alert and one summary counting 500; a muted rule and a backfill without --alert record findings and send nothing', async () => {
    await applyRulesAndAlerts(dir, env());
    const badMute = await runCli(['alerts', 'mute', TOKEN, '--for', 'a while', '--reason', 'x'], { env: env() });
    expect({ code: badMute.code, stderr: badMute.stderr }).toEqual({ code: 2, stderr: expect.stringContaining('--for: "a while" is not a duration') });
    const mute = await runCli(['alerts', 'mute', TOKEN, '--for', '24h', '--reason', 'token tests this week', '--json'], { env: env() });
    expect(mute.code).toBe(0);
    expect(JSON.parse(mute.stdout)).toEqual(expect.objectContaining({ ruleId: TOKEN, reason: 'token tests this week' }));

    const sender = startCli(['alerts', 'send'], env());
    running.push(sender);
    // old history, backfilled without --alert: its finding is recorded, nobody is paged
    expect((await runCli(['backfill', '--bucket', scope.bucket, '--to', '2020-01-01', '--json'], { env: env() })).code).toBe(0);
    expect((await runCli(['backfill', '--bucket', scope.bucket, '--from', '2026-04-01', '--alert', '--json'], { env: env() })).code).toBe(0);
    const worker = startCli(['worker', '--concurrency', '2'], env());
    running.push(worker);
    await waitForIngestEvaluated(scope, queue);

    const stats = await runCli(['rules', 'stats', '--json'], { env: env() });
    const rows = stats.stdout.trim().split('\n').map((l) => JSON.parse(l) as { ruleId: string; findings: number });
    expect(rows.map((r) => [r.ruleId, r.findings])).toEqual([[LIST, 501], [TOKEN, 3]]);

    const hook = new Queue(alertQueueName(scope.config, 'hook'), { connection: scope.redis });
    try {
      await waitFor(async () => {
        const c = await hook.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
        return Object.values(c).every((n) => n === 0) && receiver.accepted('/hook').length > 0;
      }, { timeoutMs: 120000, intervalMs: 500, what: 'alert queue empty after the window closed' });
      const jobs = await hook.getJobs(['completed', 'failed']);
      expect(jobs.map((j) => ((j.data.alert ?? (j.data.summary as { alert: { ruleId: string } }).alert) as { ruleId: string }).ruleId)).toEqual([LIST, LIST]);
    } finally {
      await hook.close();
    }
    const got = receiver.accepted('/hook');
    expect(got.every((r) => r.signatureValid)).toBe(true);
    expect(got.map((r) => ({ kind: r.body.kind, count: r.body.count, more: r.body.more, rule: r.body.ruleId }))).toEqual([
      { kind: 'alert', count: 1, more: 0, rule: LIST },
      { kind: 'summary', count: 500, more: 499, rule: LIST },
    ]);
    expect(got[0]?.body.groupKey).toBe(`userIdentity.arn=${ARN}, eventName=ListBuckets`);
    expect(got[1]?.idempotencyKey).toBe(`${String(got[0]?.body.id)}-summary`);

    // alerts tail shows the one alert queued (summaries go only to destinations)
    const tail = startCli(['alerts', 'tail', '--all'], env());
    running.push(tail);
    await waitFor(() => tail.output().stdout.includes('\n'), { timeoutMs: 60000, what: 'alerts tail printed a line' });
    tail.child.kill('SIGTERM');
    await tail.exited;
    const tailed = tail.output().stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; count: number });
    expect(tailed.map((a) => [a.id, a.count])).toEqual([[got[0]?.body.id, 1]]);
    worker.child.kill('SIGTERM');
    await worker.exited;
  });
});
