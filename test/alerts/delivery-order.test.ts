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
import { tearDownAlertSuite } from './support/teardown';
import { alertsEnv } from './support/alerts-env';

const ACCOUNT = '474747474747';
const SECRET = 'delivery-order-secret-0123456789';
const RULE_ID = '7f5e0000-0000-4000-8000-000000000001';
const FINDINGS = 30;

const RULE_TEXT = `title: Test bucket deleted
id: ${RULE_ID}
status: test
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: DeleteBucket}
  condition: sel
level: high
`;

function record(i: number): Record<string, unknown> {
  return {
    eventVersion: '1.09',
    userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::${ACCOUNT}:user/u${i}`, accountId: ACCOUNT, principalId: `AIDAEXAMPLE${i}` },
    eventTime: new Date(Date.parse('2026-07-01T10:00:00Z') + i * 7000).toISOString().replace('.000', ''),
    eventSource: 's3.amazonaws.com',
    eventName: 'DeleteBucket',
    awsRegion: 'us-east-1',
    sourceIPAddress: '192.0.2.20',
    userAgent: 'aws-cli/2',
    requestParameters: { bucketName: `b${i}` },
    responseElements: null,
    eventID: `7f5e${String(i).padStart(4, '0')}-aaaa-4bbb-8ccc-aaaaaaaaaaaa`,
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
  };
}

describe('delivery order', () => {
  let scope: TestScope;
  let queue: IngestQueue;
  let dir: string;
  let receiver: AlertReceiver;
  const running: CliProcess[] = [];
  const env = () => alertsEnv(scope.ns);

  beforeAll(async () => {
    scope = await createScope('t-alert-order');
    queue = createIngestQueue(scope.config, scope.redis);
    dir = await mkdtemp(join(tmpdir(), 'ts-alert-order-'));
    receiver = new AlertReceiver(await freePort(), SECRET);
    await mkdir(join(dir, 'rules'));
    await writeFile(join(dir, 'rules', 'rules.yml'), RULE_TEXT);
    await writeFile(
      join(dir, 'alerts.yml'),
      `destinations:
  - {name: hook, type: webhook, url: "${receiver.url('/hook')}", secret: "${SECRET}"}
routes:
  - {destination: hook}
delivery: {backoffBase: 200ms, backoffMax: 1s}
`,
    );
    // the file lists the events out of time order (a file's order is not the findings' order)
    const order = Array.from({ length: FINDINGS }, (_, i) => (i * 7) % FINDINGS);
    const rawRecords = order.map((i) => JSON.stringify(record(i)));
    await uploadFiles(scope.s3, scope.bucket, [{ key: logFileKey({ account: ACCOUNT, region: 'us-east-1', fileTimeMs: Date.parse('2026-07-01T10:15:00Z'), suffix: '7f5e000000000001' }), body: gzipLogFile(rawRecords) }]);
    await installTemplates(scope.opensearch, scope.config);
  });

  afterAll(() => tearDownAlertSuite({ running, receiver, queue, scope, dir }));

  it('a destination that was down, then answered 503, receives every alert once, in the order of its findings\' event time, the failed one retried first', async () => {
    expect((await runCli(['rules', 'apply', join(dir, 'rules')], { env: env() })).code).toBe(0);
    expect((await runCli(['alerts', 'apply', join(dir, 'alerts.yml')], { env: env() })).code).toBe(0);
    const sender = startCli(['alerts', 'send'], env());
    running.push(sender);
    expect((await runCli(['backfill', '--bucket', scope.bucket, '--alert', '--json'], { env: env() })).code).toBe(0);
    const worker = startCli(['worker', '--concurrency', '2'], env());
    running.push(worker);
    const hook = new Queue(alertQueueName(scope.config, 'hook'), { connection: scope.redis });
    try {
      await waitFor(async () => (await hook.getJobs(['waiting', 'active', 'delayed'])).length === FINDINGS, { timeoutMs: 240000, intervalMs: 500, what: 'every alert queued' });
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
});
