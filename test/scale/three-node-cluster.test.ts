/**
 * A 3-node OpenSearch cluster of its own (`trailscope stack up --nodes 3` in a temporary directory, not the shared
 * test stack), event indices with 2 primary shards and 1 replica: ingest, search and retention work and every count
 * is exact, with every replica assigned on another node than its primary.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { generateTrail, uploadFiles } from '@trailscope/fixtures';
import { createOpenSearchClient, createS3Client, loadConfig, type OpenSearchClient } from '@trailscope/runtime';
import { parseKeyValueLines, runCli, uniqueNamespace } from '../support/env';

const DAY_MS = 86_400_000;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trailscope-3node-'));
const stackEnv = { TRAILSCOPE_STACK_REDIS: 'managed', TRAILSCOPE_OPENSEARCH_HEAP: '512m', REDIS_URL: undefined, LOG_LEVEL: 'warn' };
const namespace = uniqueNamespace('t-3node');
const bucket = 'ts-3node';
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const now = Date.now();
const oldDays = [dayOf(now - 90 * DAY_MS), dayOf(now - 89 * DAY_MS)];
const recentDays = [dayOf(now - 2 * DAY_MS), dayOf(now - DAY_MS)];
const trail = generateTrail({
  seed: 18,
  accounts: ['111111111111', '222222222222'],
  regions: ['us-east-1', 'eu-west-1'],
  days: [...oldDays, ...recentDays],
  filesPerPartition: 2,
  eventsPerFile: 10,
  lateEventShare: 0,
});
const events = trail.flatMap((f) => f.records.map((r) => ({ id: String(r.eventID), account: f.account, day: f.deliveryDate })));
const recent = events.filter((e) => recentDays.includes(e.day));

let endpoints: Record<string, string>;
let client: OpenSearchClient;
const env = (extra: Record<string, string> = {}) => ({
  ...endpoints,
  TRAILSCOPE_NAMESPACE: namespace,
  TRAILSCOPE_INDEX_SHARDS: '2',
  TRAILSCOPE_INDEX_REPLICAS: '1',
  ...extra,
});

async function count(args: string[] = []): Promise<number> {
  const res = await runCli(['search', ...args, '--count', '--json'], { env: env() });
  expect(res.stderr).toBe('');
  return (JSON.parse(res.stdout) as { count: number }).count;
}

interface ShardRow {
  index: string;
  shard: string;
  prirep: 'p' | 'r';
  state: string;
  node: string | null;
}

async function eventShards(): Promise<ShardRow[]> {
  const res = await client.transport.request({ method: 'GET', path: `/_cat/shards/${namespace}-events-*`, querystring: { format: 'json', h: 'index,shard,prirep,state,node' } });
  return res.body as ShardRow[];
}

beforeAll(async () => {
  const up = await runCli(['stack', 'up', '--dir', dir, '--nodes', '3'], { env: stackEnv });
  if (up.code !== 0) throw new Error(`stack up --nodes 3 exited ${up.code}:\n${up.stderr}`);
  endpoints = parseKeyValueLines(up.stdout);
  const config = loadConfig({ env: { ...endpoints, TRAILSCOPE_NAMESPACE: namespace }, stackDir: dir });
  client = createOpenSearchClient(config);
  const s3 = createS3Client(config);
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await uploadFiles(s3, bucket, trail);
  } finally {
    s3.destroy();
  }
});

afterAll(async () => {
  await client?.close();
  const down = await runCli(['stack', 'down', '--dir', dir], { env: stackEnv });
  expect(down.code).toBe(0);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('a 3-node cluster with replicas', () => {
  it('runs three nodes that found each other', async () => {
    const health = (await client.cluster.health({})).body as { number_of_nodes: number; number_of_data_nodes: number; cluster_name: string };
    expect(health).toMatchObject({ cluster_name: 'trailscope', number_of_nodes: 3, number_of_data_nodes: 3 });
    const status = await runCli(['--dir', dir, 'stack', 'status', '--json'], { env: stackEnv });
    expect(status.code).toBe(0);
    expect((JSON.parse(status.stdout) as Record<string, unknown>).opensearch).toMatchObject({ nodes: 3, healthy: true });
  });

  it('ingests every event once into indices whose replicas sit on other nodes', async () => {
    const setup = await runCli(['setup', '--json'], { env: env() });
    expect(setup.code).toBe(0);
    const run = await runCli(['backfill', '--bucket', bucket, '--wait', '--json'], { env: env() });
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as Record<string, number>;
    expect(summary).toEqual(expect.objectContaining({ filesQueued: trail.length, filesIndexed: trail.length, filesFailed: 0, eventsIndexed: events.length }));

    const green = await client.cluster.health({ index: `${namespace}-events-*`, wait_for_status: 'green', timeout: '60s' });
    expect((green.body as { status: string }).status).toBe('green');
    const shards = await eventShards();
    const indices = new Set(shards.map((s) => s.index));
    expect(indices.size).toBe(oldDays.length + recentDays.length);
    // 2 primaries and 2 replicas per index, all started, each replica on another node than its primary
    expect(shards).toHaveLength(indices.size * 4);
    for (const s of shards) expect(s.state).toBe('STARTED');
    for (const p of shards.filter((s) => s.prirep === 'p')) {
      const replica = shards.find((s) => s.prirep === 'r' && s.index === p.index && s.shard === p.shard);
      expect(replica?.node).toBeTruthy();
      expect(replica?.node).not.toBe(p.node);
    }
    expect(new Set(shards.map((s) => s.node)).size).toBe(3);
  });

  it('answers searches with exact counts and ids', async () => {
    expect(await count()).toBe(events.length);
    expect(await count(['--account', '222222222222'])).toBe(events.filter((e) => e.account === '222222222222').length);
    const res = await runCli(['search', '--account', '111111111111', '--from', `${recentDays[0]}T00:00:00Z`, '--limit', '1000', '--json'], { env: env() });
    expect(res.code).toBe(0);
    const got = res.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { eventID: string }).eventID)
      .sort();
    expect(got).toEqual(recent.filter((e) => e.account === '111111111111').map((e) => e.id).sort());
  });

  it('setup warns that daily shards this small are far below the recommended size and names the period to use', async () => {
    const res = await runCli(['setup', '--json'], { env: env() });
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/^warning: event shards are far below the recommended 10\.0 GiB–50\.0 GiB: .* TRAILSCOPE_INDEX_PERIOD=day and TRAILSCOPE_INDEX_SHARDS=2; TRAILSCOPE_INDEX_PERIOD=month TRAILSCOPE_INDEX_SHARDS=1 /);
    const sizing = (JSON.parse(res.stdout.trim()) as { shardSizing: { indices: number; primaryShards: number; advice: { period: string; shards: number } } }).shardSizing;
    expect(sizing).toMatchObject({ indices: 4, primaryShards: 8, advice: { period: 'month', shards: 1 } });
  });

  it('retention deletes the expired indices on the cluster and keeps every recent event', async () => {
    const res = await runCli(['setup', '--json', '--retention-days', '30'], { env: env() });
    expect(res.code).toBe(0);
    const deleted = (JSON.parse(res.stdout.trim()) as { retention: { deletedIndices: string[] } }).retention.deletedIndices;
    expect(deleted.sort()).toEqual(oldDays.map((d) => `${namespace}-events-${d.replace(/-/g, '.')}`).sort());
    expect(new Set((await eventShards()).map((s) => s.index)).size).toBe(recentDays.length);
    expect(await count()).toBe(recent.length);
  });
});
