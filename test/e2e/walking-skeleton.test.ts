import { generateTrail, uploadFiles } from '@trailscope/fixtures';
import { runCli } from '../support/env';
import { createScope, type TestScope } from '../ingest/support/services';

/**
 * Issue 3's end-to-end path: generated .json.gz files of two accounts in two regions → `trailscope backfill --wait`
 * (poller, BullMQ, workers, OpenSearch) → the exact events come back from `trailscope search` filtered by account,
 * region and time.
 */
describe('walking skeleton: S3 → backfill → search', () => {
  let scope: TestScope;
  const accounts = ['123456789012', '210987654321'];
  const regions = ['us-east-1', 'eu-central-1'];
  const trail = generateTrail({ seed: 42, accounts, regions, days: ['2026-03-10'], filesPerPartition: 2, eventsPerFile: 6, lateEventShare: 0.2 });
  const records = trail.flatMap((f) => f.records) as Array<{ recipientAccountId?: string; awsRegion?: string; eventTime?: string; eventID?: string }>;
  const env = () => ({ TRAILSCOPE_NAMESPACE: scope.ns });

  beforeAll(async () => {
    scope = await createScope('t-e2e');
    await uploadFiles(scope.s3, scope.bucket, trail);
  });

  afterAll(async () => {
    await scope?.close();
  });

  it('ingests every file and event', async () => {
    const run = await runCli(['backfill', '--bucket', scope.bucket, '--wait', '--json'], { env: env() });
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as Record<string, number>;
    expect(summary).toEqual(expect.objectContaining({ filesQueued: trail.length, filesIndexed: trail.length, filesFailed: 0, eventsIndexed: records.length }));
  });

  it.each([
    [accounts[0], regions[0]],
    [accounts[1], regions[1]],
  ])('returns exactly the events of account %s in region %s within a time range', async (account, region) => {
    // events of the delivery day only: late events (eventTime the day before) must be excluded by --from
    const from = '2026-03-10T00:00:00.000Z';
    const to = '2026-03-10T23:59:59.999Z';
    const want = records
      .filter((r) => r.recipientAccountId === account && r.awsRegion === region && String(r.eventTime) >= '2026-03-10T00:00:00Z')
      .map((r) => String(r.eventID))
      .sort();
    expect(want.length).toBeGreaterThan(0);
    const res = await runCli(['search', '--account', String(account), '--region', String(region), '--from', from, '--to', to, '--limit', '1000', '--json'], { env: env() });
    expect(res.code).toBe(0);
    const got = res.stdout
      .trim()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { eventID?: string; account?: string; region?: string });
    expect(got.map((e) => e.eventID).sort()).toEqual(want);
    for (const e of got) expect([e.account, e.region]).toEqual([account, region]);

    const count = await runCli(['search', '--account', String(account), '--region', String(region), '--from', from, '--to', to, '--count', '--json'], { env: env() });
    expect(JSON.parse(count.stdout)).toEqual({ count: want.length });
  });
});
