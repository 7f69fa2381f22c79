import { generateTrail, uploadFiles } from '@trailscope/fixtures';
import { runCli } from '../support/env';
import { createScope, type TestScope } from './support/services';

function lastJson(stdout: string): Record<string, number> {
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, number>;
}

/**
 * Redis outliving the event store: one Redis shared by successive clusters, or OpenSearch data wiped while Redis keeps
 * running. Redis then remembers files as indexed whose events exist nowhere; a backfill must ingest them again.
 */
describe('event store wiped while Redis remembers the files', () => {
  let scope: TestScope;
  const trail = generateTrail({ seed: 77, accounts: ['123412341234'], regions: ['us-west-2'], days: ['2026-02-01'], filesPerPartition: 3, eventsPerFile: 5 });
  const events = trail.reduce((n, f) => n + f.records.length, 0);
  const env = () => ({ TRAILSCOPE_NAMESPACE: scope.ns });
  const count = async () => {
    const res = await runCli(['search', '--count', '--json'], { env: env() });
    expect(res.code).toBe(0);
    return (JSON.parse(res.stdout) as { count: number }).count;
  };

  beforeAll(async () => {
    scope = await createScope('t-wiped');
    await uploadFiles(scope.s3, scope.bucket, trail);
  });
  afterAll(async () => {
    await scope?.close();
  });

  it('ingests again every file whose events are gone, and only skips files of the current store', async () => {
    const first = await runCli(['backfill', '--bucket', scope.bucket, '--wait', '--json'], { env: env() });
    expect(first.code).toBe(0);
    expect(lastJson(first.stdout)).toEqual(expect.objectContaining({ filesIndexed: trail.length, eventsIndexed: events }));
    expect(await count()).toBe(events);

    // the same store: nothing is redone
    const again = await runCli(['backfill', '--bucket', scope.bucket, '--wait', '--json'], { env: env() });
    expect(lastJson(again.stdout)).toEqual(expect.objectContaining({ filesAlreadyIndexed: trail.length, eventsIndexed: 0 }));

    // wipe the event store (indices and templates), keep Redis as it is
    await scope.opensearch.indices.delete({ index: `${scope.ns}-*`, expand_wildcards: 'all' });
    await scope.opensearch.indices.deleteIndexTemplate({ name: scope.config.names.eventTemplate });
    expect((await scope.redis.keys(`${scope.ns}:*`)).length).toBeGreaterThan(0);

    const rerun = await runCli(['backfill', '--bucket', scope.bucket, '--wait', '--json'], { env: env() });
    expect(rerun.code).toBe(0);
    expect(lastJson(rerun.stdout)).toEqual(expect.objectContaining({ filesIndexed: trail.length, filesAlreadyIndexed: 0, eventsIndexed: events }));
    expect(await count()).toBe(events);
  });
});
