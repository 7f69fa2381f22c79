import { FIELDS } from '@trailscope/model';
import { uploadFiles } from '@trailscope/fixtures';
import { runCli } from '../support/env';
import { createScope, type TestScope } from './support/services';
import { buildScenario } from './support/scenario';
import { countEvents, countsByAccountRegion } from './support/opensearch';

const lastJsonLine = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;

describe('backfill of a real-world trail bucket (accounts, organization, insights, digests, broken files)', () => {
  let scope: TestScope;
  const scenario = buildScenario();
  const env = () => ({ TRAILSCOPE_NAMESPACE: scope.ns, TRAILSCOPE_JOB_LOCK_MS: '5000' });

  beforeAll(async () => {
    scope = await createScope('t-scenario');
    await uploadFiles(scope.s3, scope.bucket, scenario.objects);
  });

  afterAll(async () => {
    await scope?.close();
  });

  it('indexes every distinct event exactly once, per account and region, and reports every broken file', async () => {
    const run = await runCli(['backfill', '--bucket', scope.bucket, '--wait', '--json'], { env: env() });
    expect(run.stderr).not.toMatch(/INTERNAL/);
    const summary = lastJsonLine(run.stdout);
    // broken files make the run exit 1, everything else is indexed
    expect(run.code).toBe(1);
    expect(summary).toEqual(
      expect.objectContaining({
        filesQueued: scenario.logFileKeys.length,
        filesIndexed: scenario.logFileKeys.length - scenario.broken.length,
        filesFailed: scenario.broken.length,
        eventsIndexed: scenario.distinct.size,
        duplicates: scenario.goodRecordsDelivered - scenario.distinct.size,
        deadLettered: scenario.mixed.badCount,
        skipped: scenario.skipped,
      }),
    );

    expect(await countEvents(scope.opensearch, scope.config)).toBe(scenario.distinct.size);
    const expected = new Map<string, number>();
    for (const e of scenario.distinct.values()) expected.set(`${e.account}/${e.region}`, (expected.get(`${e.account}/${e.region}`) ?? 0) + 1);
    expect(await countsByAccountRegion(scope.opensearch, scope.config, FIELDS.account, FIELDS.region)).toEqual(expected);
  });

  it('lists every broken file with its reason, and dead-letters the bad records of the mixed file', async () => {
    const failed = await runCli(['failed', '--json'], { env: env() });
    expect(failed.code).toBe(0);
    const rows = failed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { key: string; code: string; attempts: number; message: string });
    expect(rows.map((r) => ({ key: r.key, code: r.code })).sort((a, b) => a.key.localeCompare(b.key))).toEqual([...scenario.broken].sort((a, b) => a.key.localeCompare(b.key)));
    for (const r of rows) {
      // permanent errors are not retried
      expect(r.attempts).toBe(1);
      expect(r.message).toContain(r.key);
    }

    await scope.opensearch.indices.refresh({ index: scope.config.names.deadLetterIndex });
    const dlq = await scope.opensearch.search({ index: scope.config.names.deadLetterIndex, body: { size: 100, query: { match_all: {} } } });
    const hits = (dlq.body as { hits: { hits: Array<{ _source: Record<string, unknown> }> } }).hits.hits.map((h) => h._source);
    expect(hits).toHaveLength(scenario.mixed.badCount);
    expect(JSON.stringify(hits)).toContain(scenario.mixed.key);
    for (const id of scenario.mixed.goodEventIds) {
      const got = await runCli(['get', id, '--raw'], { env: env() });
      expect(got.code).toBe(0);
    }
  });

  it('returns sampled records byte for byte as delivered', async () => {
    const samples = [...scenario.distinct.values()].filter((e) => e.eventID).filter((_, i) => i % 80 === 0);
    expect(samples.length).toBeGreaterThan(5);
    for (const s of samples) {
      const got = await runCli(['get', s.eventID as string, '--raw'], { env: env() });
      expect(got.code).toBe(0);
      expect(got.stdout).toBe(`${s.raw}\n`);
    }
  });

  it('changes no count when the backfill runs again, and redoes no indexed file', async () => {
    const run = await runCli(['backfill', '--bucket', scope.bucket, '--wait', '--json'], { env: env() });
    const summary = lastJsonLine(run.stdout);
    expect(run.code).toBe(1);
    expect(summary).toEqual(
      expect.objectContaining({
        filesQueued: 0,
        filesIndexed: 0,
        eventsIndexed: 0,
        filesFailed: scenario.broken.length,
        filesAlreadyIndexed: scenario.logFileKeys.length - scenario.broken.length,
      }),
    );
    expect(await countEvents(scope.opensearch, scope.config)).toBe(scenario.distinct.size);
  });

  it('re-queues failed files with failed --retry; broken files fail again, still without duplicates', async () => {
    const retry = await runCli(['failed', '--retry', '--json'], { env: env() });
    expect(retry.code).toBe(0);
    expect(JSON.parse(retry.stdout)).toEqual({ retried: scenario.broken.length });
    const run = await runCli(['backfill', '--bucket', scope.bucket, '--wait', '--json'], { env: env() });
    expect(run.code).toBe(1);
    // the retried jobs were processed again by this run's workers and failed with their own codes again
    const failedByCode = Object.fromEntries(scenario.broken.map((b) => [b.code, 1]));
    expect(lastJsonLine(run.stdout)).toEqual(expect.objectContaining({ filesFailed: scenario.broken.length, failedByCode, eventsIndexed: 0 }));
    const failed = await runCli(['failed', '--json'], { env: env() });
    expect(failed.stdout.trim().split('\n')).toHaveLength(scenario.broken.length);
    expect(await countEvents(scope.opensearch, scope.config)).toBe(scenario.distinct.size);
  });
});
