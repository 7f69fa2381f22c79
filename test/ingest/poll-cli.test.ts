import { generateTrail, uploadFiles } from '@trailscope/fixtures';
import { runCli } from '../support/env';
import { createScope, type TestScope } from './support/services';

describe('trailscope poll --once', () => {
  let scope: TestScope;
  const trail = generateTrail({ seed: 3, accounts: ['777777777777'], regions: ['us-east-1', 'eu-west-1'], days: ['2026-03-01', '2026-03-02', '2026-03-03'], filesPerPartition: 2, eventsPerFile: 2 });
  const env = () => ({ TRAILSCOPE_NAMESPACE: scope.ns });

  beforeAll(async () => {
    scope = await createScope('t-poll');
    await uploadFiles(scope.s3, scope.bucket, trail);
  });

  afterAll(async () => {
    await scope?.close();
  });

  it('queues every log file on its first cycle, then only re-lists the last two days of each stream', async () => {
    const first = await runCli(['poll', '--bucket', scope.bucket, '--once'], { env: env() });
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual(expect.objectContaining({ filesQueued: trail.length, partitions: 6 }));

    const more = generateTrail({ seed: 4, accounts: ['777777777777'], regions: ['us-east-1'], days: ['2026-03-04'], filesPerPartition: 1, eventsPerFile: 1 });
    await uploadFiles(scope.s3, scope.bucket, more);
    const second = await runCli(['poll', '--bucket', scope.bucket, '--once'], { env: env() });
    expect(second.code).toBe(0);
    // both checkpoints are on 03-03: 03-01 is not listed again; us-east-1 also lists its new day
    expect(JSON.parse(second.stdout)).toEqual(expect.objectContaining({ filesQueued: 1, filesAdopted: 8, partitions: 5 }));
  });

  it('rejects bad flags with a usage error naming the flag', async () => {
    const res = await runCli(['poll', '--bucket', scope.bucket, '--once', '--from', '2026-02-31'], { env: env() });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--from');
  });
});
