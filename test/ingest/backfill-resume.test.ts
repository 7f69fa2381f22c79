import { generateTrail, uploadFiles } from '@trailscope/fixtures';
import { runCli, waitFor } from '../support/env';
import { createScope, type TestScope } from './support/services';
import { startCli } from './support/processes';
import { countEvents } from './support/opensearch';

describe('backfill --wait killed with SIGKILL, then run again', () => {
  let scope: TestScope;
  const trail = generateTrail({ seed: 51, accounts: ['888888888888'], regions: ['us-east-1', 'eu-north-1'], days: ['2026-03-09', '2026-03-10'], filesPerPartition: 10, eventsPerFile: 500, lateEventShare: 0.05 });
  const events = trail.reduce((n, f) => n + f.records.length, 0);
  const env = () => ({ TRAILSCOPE_NAMESPACE: scope.ns, TRAILSCOPE_JOB_LOCK_MS: '4000' });

  beforeAll(async () => {
    scope = await createScope('t-resume');
    await uploadFiles(scope.s3, scope.bucket, trail);
  });

  afterAll(async () => {
    await scope?.close();
  });

  it('finishes the job on the second run without redoing indexed files and without duplicates', async () => {
    const first = startCli(['backfill', '--bucket', scope.bucket, '--wait', '--json', '--concurrency', '2'], env());
    await waitFor(async () => (await countEvents(scope.opensearch, scope.config)) >= 4000, { timeoutMs: 120000, intervalMs: 100, what: 'the first backfill to be under way' });
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe(137);
    const atKill = await countEvents(scope.opensearch, scope.config);
    expect(atKill).toBeLessThan(events);

    const second = await runCli(['backfill', '--bucket', scope.bucket, '--wait', '--json'], { env: env() });
    expect(second.code).toBe(0);
    const summary = JSON.parse(second.stdout.trim().split('\n').pop() ?? '{}') as { filesAlreadyIndexed: number; filesIndexed: number; filesFailed: number };
    // files finished before the kill are skipped, the rest (waiting, or running when killed) are finished now
    expect(summary.filesAlreadyIndexed).toBeGreaterThan(0);
    expect(summary.filesAlreadyIndexed + summary.filesIndexed).toBe(trail.length);
    expect(summary.filesFailed).toBe(0);
    expect(await countEvents(scope.opensearch, scope.config)).toBe(events);
  });
});
