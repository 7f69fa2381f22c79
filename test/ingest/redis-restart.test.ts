import { generateTrail, uploadFiles } from '@trailscope/fixtures';
import { installTemplates } from '@trailscope/indexer';
import { waitFor } from '../support/env';
import { createScope, type TestScope } from './support/services';
import { EphemeralRedis, exitWithin, freePort, startCli } from './support/processes';
import { countEvents } from './support/opensearch';

describe('Redis restarted (keeping nothing) in the middle of a backfill', () => {
  let scope: TestScope;
  let redis: EphemeralRedis;
  const trail = generateTrail({ seed: 31, accounts: ['666666666666'], regions: ['us-east-1', 'ap-northeast-1'], days: ['2026-03-08'], filesPerPartition: 20, eventsPerFile: 500, lateEventShare: 0.02 });
  const events = trail.reduce((n, f) => n + f.records.length, 0);

  beforeAll(async () => {
    scope = await createScope('t-redis-restart');
    redis = new EphemeralRedis(await freePort());
    await redis.start();
    await uploadFiles(scope.s3, scope.bucket, trail);
    await installTemplates(scope.opensearch, scope.config);
  });

  afterAll(async () => {
    await redis?.kill();
    await scope?.close();
  });

  it('rebuilds lost state from S3 and ends with every event indexed exactly once', async () => {
    const backfill = startCli(['backfill', '--bucket', scope.bucket, '--wait', '--json', '--concurrency', '2'], {
      TRAILSCOPE_NAMESPACE: scope.ns,
      REDIS_URL: redis.url,
      TRAILSCOPE_JOB_LOCK_MS: '4000',
    });
    const atRestart = await waitFor(async () => {
      const n = await countEvents(scope.opensearch, scope.config);
      return n >= 2000 ? n : undefined;
    }, { timeoutMs: 120000, intervalMs: 100, what: 'the ingest to be under way' });
    expect(atRestart).toBeLessThan(events);
    await redis.kill();
    await redis.start();

    const code = await exitWithin(backfill, 240000);
    const { stdout, stderr } = backfill.output();
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
    const summary = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, number>;
    // every document was created by this run, whatever had to be redone after the restart
    expect(summary.eventsIndexed).toBe(events);
    expect(summary.duplicates).toBeGreaterThan(0);
    expect(summary.filesFailed).toBe(0);
    expect(await countEvents(scope.opensearch, scope.config)).toBe(events);
  });
});
