import { generateTrail, uploadFiles } from '@trailscope/fixtures';
import { installTemplates } from '@trailscope/indexer';
import { startService, stopService } from '@trailscope/stack';
import { runCli, testEnv, waitFor } from '../support/env';
import { createScope, type TestScope } from './support/services';
import { exitWithin, OutageProxy, startCli } from './support/processes';
import { countEvents } from './support/opensearch';

const OUTAGE_MS = 30_000;

/**
 * With the local test stack, OpenSearch itself is stopped and started again. When the test environment's OpenSearch
 * is not ours to stop (external endpoints), the outage is a proxy refusing every connection for the same time.
 */
describe('OpenSearch stopped for 30 s in the middle of an ingest', () => {
  let scope: TestScope;
  let proxy: OutageProxy | undefined;
  const stackDir = testEnv().stackDir;
  const trail = generateTrail({ seed: 21, accounts: ['555555555555'], regions: ['us-east-1', 'eu-west-1', 'sa-east-1'], days: ['2026-03-07'], filesPerPartition: 20, eventsPerFile: 500, lateEventShare: 0.02 });
  const events = trail.reduce((n, f) => n + f.records.length, 0);

  beforeAll(async () => {
    scope = await createScope('t-os-outage');
    await uploadFiles(scope.s3, scope.bucket, trail);
    await installTemplates(scope.opensearch, scope.config);
    if (!stackDir) {
      const url = new URL(scope.config.opensearch.url);
      proxy = new OutageProxy(url.hostname, Number(url.port || 80));
      await proxy.start();
    }
  });

  afterAll(async () => {
    await proxy?.stop();
    await scope?.close();
  });

  it('indexes every event exactly once after OpenSearch comes back', async () => {
    const env: Record<string, string> = { TRAILSCOPE_NAMESPACE: scope.ns, TRAILSCOPE_JOB_LOCK_MS: '5000' };
    if (proxy) env.OPENSEARCH_URL = `http://127.0.0.1:${proxy.port}`;
    const backfill = startCli(['backfill', '--bucket', scope.bucket, '--wait', '--json', '--concurrency', '2'], env);
    const atStop = await waitFor(async () => {
      const n = await countEvents(scope.opensearch, scope.config);
      return n >= 2000 ? n : undefined;
    }, { timeoutMs: 120000, intervalMs: 100, what: 'the ingest to be under way' });
    expect(atStop).toBeLessThan(events);

    if (proxy) await proxy.stop();
    else await stopService(stackDir, 'opensearch');
    // the outage itself lasts a fixed time: that is the fault being injected, not a wait for a condition
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    if (proxy) await proxy.start(proxy.port);
    else await startService(stackDir, 'opensearch');

    const code = await exitWithin(backfill, 240000);
    const { stdout, stderr } = backfill.output();
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
    const summary = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { eventsIndexed: number; duplicates: number };
    expect(summary).toEqual(expect.objectContaining({ filesQueued: trail.length, filesIndexed: trail.length, filesFailed: 0 }));
    // a bulk request applied just before the outage whose answer was lost is sent again: its documents come back as
    // duplicates (409 on create), never as second copies
    expect(summary.eventsIndexed + summary.duplicates).toBe(events);
    expect(await countEvents(scope.opensearch, scope.config)).toBe(events);
    const failed = await runCli(['failed', '--json'], { env: { TRAILSCOPE_NAMESPACE: scope.ns } });
    expect(failed.stdout.trim()).toBe('');
  });
});
