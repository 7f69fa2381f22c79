import { generateTrail, uploadFiles } from '@trailscope/fixtures';
import { installTemplates } from '@trailscope/indexer';
import { createIngestQueue, pendingCounts, type IngestQueue } from '@trailscope/queue';
import { runCli, waitFor } from '../support/env';
import { createScope, type TestScope } from './support/services';
import { startCli } from './support/processes';
import { countEvents } from './support/opensearch';

const EVENTS = 100_000;

describe('worker killed with SIGKILL repeatedly during a 100,000-event ingest', () => {
  let scope: TestScope;
  let queue: IngestQueue;
  // 2 regions x 100 files x 500 events
  const trail = generateTrail({ seed: 11, accounts: ['444444444444'], regions: ['us-east-1', 'us-west-2'], days: ['2026-03-05'], filesPerPartition: 100, eventsPerFile: 500, lateEventShare: 0.02 });
  const env = () => ({ TRAILSCOPE_NAMESPACE: scope.ns, TRAILSCOPE_JOB_LOCK_MS: '4000' });

  beforeAll(async () => {
    expect(new Set(trail.flatMap((f) => f.records.map((r) => r.eventID))).size).toBe(EVENTS);
    scope = await createScope('t-kill');
    queue = createIngestQueue(scope.config, scope.redis);
    await uploadFiles(scope.s3, scope.bucket, trail);
    await installTemplates(scope.opensearch, scope.config);
  });

  afterAll(async () => {
    await queue?.close();
    await scope?.close();
  });

  it('ends with exactly 100,000 documents and no failed file', async () => {
    const queued = await runCli(['backfill', '--bucket', scope.bucket, '--json'], { env: env() });
    expect(queued.code).toBe(0);
    expect(JSON.parse(queued.stdout.trim().split('\n').pop() ?? '{}')).toEqual(expect.objectContaining({ filesQueued: trail.length }));

    const countsAtKill: number[] = [];
    for (let round = 0; round < 3; round++) {
      const worker = startCli(['worker', '--concurrency', '2'], env());
      const before = await countEvents(scope.opensearch, scope.config);
      await waitFor(async () => (await countEvents(scope.opensearch, scope.config)) >= before + 6000, { timeoutMs: 180000, intervalMs: 100, what: `round ${round}: 6,000 more documents` });
      worker.child.kill('SIGKILL');
      expect(await worker.exited).toBe(137);
      countsAtKill.push(await countEvents(scope.opensearch, scope.config));
    }
    // every kill happened mid-ingest
    for (const c of countsAtKill) expect(c).toBeLessThan(EVENTS);

    const last = startCli(['worker', '--concurrency', '2'], env());
    try {
      await waitFor(async () => (await pendingCounts(queue)).total === 0, { timeoutMs: 240000, intervalMs: 500, what: 'queue drained after the last restart' });
    } finally {
      last.child.kill('SIGTERM');
      await last.exited;
    }
    expect(await countEvents(scope.opensearch, scope.config)).toBe(EVENTS);
    const failed = await runCli(['failed', '--json'], { env: env() });
    expect(failed.stdout.trim()).toBe('');
  });
});
