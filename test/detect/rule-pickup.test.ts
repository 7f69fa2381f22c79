import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipLogFile, logFileKey, uploadFiles, type GeneratedFile } from '@trailscope/fixtures';
import { installTemplates } from '@trailscope/indexer';
import { createIngestQueue, pendingCounts, type IngestQueue } from '@trailscope/queue';
import type { FindingDoc } from '@trailscope/detect';
import { runCli, waitFor } from '../support/env';
import { createScope, type TestScope } from '../ingest/support/services';
import { startCli, type CliProcess } from '../ingest/support/processes';

const ACCOUNT = '777777777777';
const RULE_A = '5a1f0c1e-0000-4000-8000-0000000000a1';
const RULE_B = '5a1f0c1e-0000-4000-8000-0000000000b2';

const ruleText = (id: string, eventName: string) => `title: Test ${eventName} called
id: ${id}
status: test
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventName: ${eventName}
  condition: selection
level: medium
`;

let serial = 0;
function record(eventTime: string, eventName: string): Record<string, unknown> {
  serial++;
  return {
    eventVersion: '1.09',
    userIdentity: { type: 'IAMUser', principalId: 'AIDAPICKUP', arn: `arn:aws:iam::${ACCOUNT}:user/dev`, accountId: ACCOUNT, userName: 'dev' },
    eventTime,
    eventSource: 'iam.amazonaws.com',
    eventName,
    awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.77',
    userAgent: 'aws-cli/2.15.0',
    requestID: `req-pickup-${serial}`,
    eventID: `0000pick-0000-4000-8000-${String(serial).padStart(12, '0')}`,
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
  };
}

function file(records: Array<Record<string, unknown>>, delivery: string, suffix: string): GeneratedFile {
  const rawRecords = records.map((r) => JSON.stringify(r));
  const key = logFileKey({ account: ACCOUNT, region: 'us-east-1', fileTimeMs: Date.parse(delivery), suffix });
  return { key, body: gzipLogFile(rawRecords), account: ACCOUNT, region: 'us-east-1', deliveryDate: delivery.slice(0, 10), records, rawRecords };
}

describe('a running worker picks up an applied rule set without restart', () => {
  let scope: TestScope;
  let queue: IngestQueue;
  let dirA: string;
  let dirB: string;
  let worker: CliProcess | undefined;
  const env = () => ({ TRAILSCOPE_NAMESPACE: scope.ns, TRAILSCOPE_RULES_REFRESH_MS: '300', LOG_LEVEL: 'info' });

  async function findings(): Promise<FindingDoc[]> {
    await scope.opensearch.indices.refresh({ index: scope.config.names.findingsIndex, ignore_unavailable: true });
    const res = await scope.opensearch.search({ index: scope.config.names.findingsIndex, body: { size: 100, query: { match_all: {} } } as never, ignore_unavailable: true });
    return (res.body as unknown as { hits: { hits: Array<{ _source: FindingDoc }> } }).hits.hits.map((h) => h._source);
  }

  async function ingestAndEvaluate(): Promise<void> {
    const queued = await runCli(['backfill', '--bucket', scope.bucket, '--json'], { env: env() });
    expect(queued.code).toBe(0);
    await waitFor(async () => (await pendingCounts(queue)).total === 0, { timeoutMs: 120000, intervalMs: 300, what: 'ingest queue drained' });
    await waitFor(async () => (await scope.redis.zcard(`${scope.config.names.redisPrefix}detect:pending`)) === 0, { timeoutMs: 120000, intervalMs: 300, what: 'every indexed file evaluated' });
  }

  beforeAll(async () => {
    scope = await createScope('t-detect-pickup');
    queue = createIngestQueue(scope.config, scope.redis);
    dirA = await mkdtemp(join(tmpdir(), 'ts-pickup-a-'));
    dirB = await mkdtemp(join(tmpdir(), 'ts-pickup-b-'));
    await writeFile(join(dirA, 'rule.yml'), ruleText(RULE_A, 'CreateUser'));
    await writeFile(join(dirB, 'rule.yml'), ruleText(RULE_B, 'DeleteUser'));
    await installTemplates(scope.opensearch, scope.config);
  });

  afterAll(async () => {
    if (worker) {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
    await queue?.close();
    await scope?.close();
    for (const d of [dirA, dirB]) if (d) await rm(d, { recursive: true, force: true });
  });

  it('evaluates events indexed after `rules apply` with the new set, the same process throughout', async () => {
    const first = file([record('2026-03-10T08:00:00Z', 'CreateUser'), record('2026-03-10T08:01:00Z', 'DeleteUser')], '2026-03-10T08:05:00Z', 'pick000000000001');
    const second = file([record('2026-03-10T09:00:00Z', 'CreateUser'), record('2026-03-10T09:01:00Z', 'DeleteUser')], '2026-03-10T09:05:00Z', 'pick000000000002');
    const appliedA = await runCli(['rules', 'apply', dirA, '--json'], { env: env() });
    expect(appliedA.code).toBe(0);
    const versionA = (JSON.parse(appliedA.stdout) as { version: string }).version;

    worker = startCli(['worker', '--concurrency', '1'], env());
    const pid = worker.child.pid;
    const loaded = (version: string) => () =>
      worker!.output().stderr.split('\n').some((l) => l.includes('detection rule set loaded') && l.includes(`"version":"${version}"`));
    await waitFor(async () => loaded(versionA)(), { timeoutMs: 60000, intervalMs: 200, what: 'the worker loaded rule set A' });
    await uploadFiles(scope.s3, scope.bucket, [first]);
    await ingestAndEvaluate();
    expect((await findings()).map((f) => [f.ruleId, f.eventTime])).toEqual([[RULE_A, '2026-03-10T08:00:00Z']]);

    const appliedB = await runCli(['rules', 'apply', dirB, '--json'], { env: env() });
    expect(appliedB.code).toBe(0);
    const versionB = (JSON.parse(appliedB.stdout) as { version: string }).version;
    expect(versionB).not.toBe(versionA);
    await waitFor(async () => loaded(versionB)(), { timeoutMs: 60000, intervalMs: 200, what: 'the running worker loaded rule set B' });
    await uploadFiles(scope.s3, scope.bucket, [second]);
    await ingestAndEvaluate();

    // the second file's events met rule set B only; the first file's stay as rule set A judged them
    const all = (await findings()).map((f) => [f.ruleId, f.eventTime]).sort();
    expect(all).toEqual([
      [RULE_A, '2026-03-10T08:00:00Z'],
      [RULE_B, '2026-03-10T09:01:00Z'],
    ]);
    expect(worker.child.exitCode).toBeNull();
    expect(worker.child.pid).toBe(pid);
  });
});
