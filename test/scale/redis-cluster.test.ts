/**
 * BullMQ and every other Redis user on a Redis Cluster: a 3-master cluster of its own (started here, stopped after),
 * selected by REDIS_CLUSTER_NODES. A backfill queues, a separate worker process ingests (runs live detection and
 * schedules the live Insights job), counts are exact, each queue's keys and the namespace's state keys each live in
 * one slot, and a second backfill finds every file done.
 */
import * as path from 'node:path';
import { Queue } from 'bullmq';
import { generateTrail, uploadFiles } from '@trailscope/fixtures';
import { createOpenSearchClient, createRedis, createS3Client, redisRunId, scanKeys, type Config, type OpenSearchClient } from '@trailscope/runtime';
import { cleanupNamespace, createBucket, deleteBucket, makeConfig, REPO_ROOT, runCli, uniqueBucketName, uniqueNamespace, waitFor } from '../support/env';
import { LocalRedisCluster } from '../support/redis-cluster';
import { exitWithin, startCli, type CliProcess } from '../ingest/support/processes';

const cluster = new LocalRedisCluster(3);
const namespace = uniqueNamespace('t-rcluster');
const bucket = uniqueBucketName('ts-rcluster');
const trail = generateTrail({
  seed: 1803,
  accounts: ['111111111111', '222222222222', '333333333333'],
  regions: ['us-east-1', 'eu-west-1'],
  days: ['2026-02-10', '2026-02-11'],
  filesPerPartition: 3,
  eventsPerFile: 8,
  lateEventShare: 0.1,
});
const eventCount = trail.reduce((n, f) => n + f.records.length, 0);

let config: Config;
let opensearch: OpenSearchClient;
let worker: CliProcess | undefined;
const env = () => ({ TRAILSCOPE_NAMESPACE: namespace, REDIS_CLUSTER_NODES: cluster.nodesSetting, REDIS_URL: 'redis://127.0.0.1:1' });

const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, number>;

async function storedEvents(): Promise<number> {
  await opensearch.indices.refresh({ index: config.names.eventIndexPattern, allow_no_indices: true, ignore_unavailable: true });
  return (await opensearch.count({ index: config.names.eventIndexPattern, allow_no_indices: true, ignore_unavailable: true })).body.count;
}

/** Every key of the cluster matching `pattern`, scanned on each master, with its slot. */
async function keysWithSlots(pattern: string): Promise<Array<{ key: string; slot: number; port: number }>> {
  const out: Array<{ key: string; slot: number; port: number }> = [];
  for (const port of cluster.ports) {
    await cluster.withNode(port, async (node) => {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        for (const key of keys) out.push({ key, slot: Number(await node.cluster('KEYSLOT', key)), port });
      } while (cursor !== '0');
    });
  }
  return out;
}

beforeAll(async () => {
  await cluster.start();
  config = makeConfig(namespace, { REDIS_CLUSTER_NODES: cluster.nodesSetting });
  opensearch = createOpenSearchClient(config);
  const s3 = createS3Client(config);
  try {
    await createBucket(s3, bucket);
    await uploadFiles(s3, bucket, trail);
  } finally {
    s3.destroy();
  }
});

afterAll(async () => {
  if (worker && worker.child.exitCode === null) await exitWithin(worker, 1000);
  const s3 = createS3Client(config);
  await deleteBucket(s3, bucket).catch(() => undefined);
  s3.destroy();
  await cleanupNamespace(opensearch, namespace);
  await opensearch.close();
  await cluster.stop();
});

describe('on a 3-master Redis Cluster (REDIS_CLUSTER_NODES)', () => {
  it('names queues and state with hash tags', () => {
    expect(config.redis.clusterNodes).toHaveLength(3);
    expect(config.names.ingestQueue).toBe(`{${namespace}-ingest}`);
    expect(config.names.redisPrefix).toBe(`{${namespace}}:`);
  });

  it('backfill queues every file, each queue key in the one slot of its hash tag', async () => {
    expect((await runCli(['setup'], { env: env() })).code).toBe(0);
    const run = await runCli(['backfill', '--bucket', bucket, '--json'], { env: env() });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(lastJson(run.stdout)).toEqual(expect.objectContaining({ filesQueued: trail.length, filesFailed: 0 }));

    const queueKeys = await keysWithSlots(`bull:{${namespace}-ingest}:*`);
    // a job hash per file, plus the queue's own lists, sets and meta
    expect(queueKeys.length).toBeGreaterThan(trail.length);
    expect(new Set(queueKeys.map((k) => k.slot)).size).toBe(1);
    expect(new Set(queueKeys.map((k) => k.port)).size).toBe(1);
  });

  it('a worker process ingests every event exactly once, the queue drains and live detection runs', async () => {
    // a rule set makes the worker hand files to live detection: a sorted set and a leader lock (a script) in Redis
    const applied = await runCli(['rules', 'apply', path.join(REPO_ROOT, 'packages', 'rules', 'pack'), '--json'], { env: env() });
    expect(applied.code).toBe(0);
    worker = startCli(['worker', '--concurrency', '4'], env());
    await waitFor(async () => (await storedEvents()) >= eventCount, { timeoutMs: 180000, intervalMs: 1000, what: `${eventCount} events indexed` });
    const redis = createRedis(config);
    const queue = new Queue(config.names.ingestQueue, { connection: redis });
    try {
      await waitFor(
        async () => {
          const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
          return c.waiting === 0 && c.active === 0 && c.delayed === 0 && c.completed === trail.length ? c : undefined;
        },
        { timeoutMs: 60000, what: 'every job completed' },
      );
      expect(await queue.getJobCounts('failed')).toEqual({ failed: 0 });
    } finally {
      await queue.close();
      redis.disconnect();
    }
    expect(await storedEvents()).toBe(eventCount);
    const probe = createRedis(config);
    try {
      await waitFor(async () => (await probe.zcard(`{${namespace}}:detect:pending`)) === 0 && (await probe.exists(`{${namespace}}:detect:leader`)) === 1, {
        timeoutMs: 60000,
        what: 'live detection to take every indexed file while holding its leader lock',
      });
    } finally {
      probe.disconnect();
    }
    worker.child.kill('SIGTERM');
    expect(await exitWithin(worker, 60000)).toBe(0);
    expect(worker.output().stderr).not.toMatch(/CROSSSLOT|MOVED|"level":50/);

    // the worker's live Insights job: a BullMQ job scheduler on a queue of its own, in its own slot
    const insightsKeys = await keysWithSlots(`bull:{${namespace}-insights}:*`);
    expect(insightsKeys.length).toBeGreaterThan(0);
    expect(new Set(insightsKeys.map((k) => k.slot)).size).toBe(1);

    const stateKeys = await keysWithSlots(`{${namespace}}:*`);
    expect(stateKeys.map((k) => k.key)).toEqual(expect.arrayContaining([`{${namespace}}:store-generation`]));
    expect(new Set(stateKeys.map((k) => k.slot)).size).toBe(1);
  });

  it('a second backfill finds every file done and stores nothing twice', async () => {
    const run = await runCli(['backfill', '--bucket', bucket, '--wait', '--json'], { env: env() });
    expect(run.code).toBe(0);
    expect(lastJson(run.stdout)).toEqual(expect.objectContaining({ filesQueued: 0, filesAlreadyIndexed: trail.length, filesFailed: 0, eventsIndexed: 0 }));
    expect(await storedEvents()).toBe(eventCount);
  });

  it('scanKeys and redisRunId reach every master, also from a client not yet connected', async () => {
    const fresh = createRedis(config, { lazyConnect: true });
    try {
      const seen: string[] = [];
      for await (const page of scanKeys(fresh, `bull:{${namespace}-ingest}:*`)) seen.push(...page);
      expect(seen.length).toBeGreaterThan(trail.length);
      expect(seen.sort()).toEqual((await keysWithSlots(`bull:{${namespace}-ingest}:*`)).map((k) => k.key).sort());
      const ids = (await redisRunId(fresh)).split(',');
      expect(ids).toHaveLength(3);
      expect(new Set(ids.filter((id) => /^[0-9a-f]{40}$/.test(id))).size).toBe(3);
    } finally {
      fresh.disconnect();
    }
  });
});
