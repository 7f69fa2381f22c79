/**
 * `trailscope stack up|down|status` on a stack of its own (a temporary directory, next to the shared test
 * stack), with Redis forced to be ours so that `down` has all three kinds of process to stop.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { createHash, randomBytes } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import IORedis from 'ioredis';
import { stackDown, startService, stopService } from '@trailscope/stack';
import { parseKeyValueLines, runCli } from '../support/env';

const KEYS = ['OPENSEARCH_URL', 'REDIS_URL', 'S3_ENDPOINT', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION'];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trailscope-stack-test-'));
const env = { TRAILSCOPE_STACK_REDIS: 'managed', TRAILSCOPE_OPENSEARCH_HEAP: '512m', REDIS_URL: undefined, LOG_LEVEL: 'warn' };

interface Proc {
  pid: number;
  cmd: string;
}

/** Every live process whose command line contains `needle`, read from /proc. */
function processesWith(needle: string): Proc[] {
  const out: Proc[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      if (cmd.includes(needle)) out.push({ pid: Number(entry), cmd });
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

function ourProcesses(redisUrl: string): Proc[] {
  const redisPort = new URL(redisUrl).port;
  return [...processesWith(dir), ...processesWith(`redis-server 127.0.0.1:${redisPort}`)];
}

async function stackUp(): Promise<Record<string, string>> {
  const res = await runCli(['stack', 'up', '--dir', dir], { env });
  if (res.code !== 0) throw new Error(`stack up exited ${res.code}:\n${res.stderr}`);
  return parseKeyValueLines(res.stdout);
}

async function status(): Promise<Record<string, { running: boolean; healthy: boolean; managed: boolean; pid?: number; url?: string }>> {
  const res = await runCli(['--dir', dir, 'stack', 'status', '--json'], { env });
  expect(res.code).toBe(0);
  return JSON.parse(res.stdout);
}

let endpoints: Record<string, string>;

beforeAll(async () => {
  endpoints = await stackUp();
});

afterAll(async () => {
  // Safety net when a test failed before `down`; a no-op otherwise.
  await stackDown({ dir });
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('stack up', () => {
  it('prints every endpoint as KEY=value and writes the same to stack.env', () => {
    expect(Object.keys(endpoints).sort()).toEqual([...KEYS].sort());
    expect(endpoints.OPENSEARCH_URL).toMatch(/^http:\/\/127\.0\.0\.1:92\d\d$/);
    expect(endpoints.REDIS_URL).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(endpoints.S3_ENDPOINT).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(parseKeyValueLines(fs.readFileSync(path.join(dir, 'stack.env'), 'utf8'))).toEqual(endpoints);
  });

  it('run twice leaves one stack: same endpoints, same processes', async () => {
    const before = await status();
    const again = await stackUp();
    expect(again).toEqual(endpoints);
    const after = await status();
    for (const service of ['opensearch', 'redis', 's3']) {
      expect(after[service]?.pid).toBeDefined();
      expect(after[service]?.pid).toBe(before[service]?.pid);
    }
    const procs = ourProcesses(endpoints.REDIS_URL as string);
    expect(procs.filter((p) => p.cmd.includes('org.codelibs.opensearch.runner.OpenSearchRunner'))).toHaveLength(1);
    expect(procs.filter((p) => p.cmd.includes('s3-server.js'))).toHaveLength(1);
    expect(procs.filter((p) => p.cmd.startsWith('redis-server'))).toHaveLength(1);
  });

  it('rejects --nodes outside 1-9 as a usage error before starting anything', async () => {
    const res = await runCli(['stack', 'up', '--dir', dir, '--nodes', '0'], { env });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--nodes');
  });
});

describe('stack status --json', () => {
  it('reports one object per service, each ours, running and healthy', async () => {
    const s = await status();
    expect(Object.keys(s).sort()).toEqual(['opensearch', 'redis', 's3']);
    expect(s.opensearch).toMatchObject({ service: 'opensearch', managed: true, running: true, healthy: true, url: endpoints.OPENSEARCH_URL, nodes: 1 });
    expect(s.redis).toMatchObject({ service: 'redis', managed: true, running: true, healthy: true, url: endpoints.REDIS_URL });
    expect(s.s3).toMatchObject({ service: 's3', managed: true, running: true, healthy: true, url: endpoints.S3_ENDPOINT });
  });
});

describe('the services', () => {
  it('OpenSearch 2.19.1 answers as the trailscope cluster', async () => {
    const info = (await (await fetch(`${endpoints.OPENSEARCH_URL}/`)).json()) as { cluster_name: string; version: { number: string } };
    expect(info.cluster_name).toBe('trailscope');
    expect(info.version.number).toBe('2.19.1');
  });

  it('Redis answers PING', async () => {
    const redis = new IORedis(endpoints.REDIS_URL as string, { maxRetriesPerRequest: 1 });
    try {
      expect(await redis.ping()).toBe('PONG');
    } finally {
      redis.disconnect();
    }
  });

  it('the S3 server stores streamed uploads byte for byte with the default SDK settings and lists like S3', async () => {
    const s3 = new S3Client({
      endpoint: endpoints.S3_ENDPOINT,
      forcePathStyle: true,
      region: endpoints.AWS_REGION as string,
      credentials: { accessKeyId: endpoints.AWS_ACCESS_KEY_ID as string, secretAccessKey: endpoints.AWS_SECRET_ACCESS_KEY as string },
    });
    try {
      const Bucket = `stack-test-${randomBytes(4).toString('hex')}`;
      await s3.send(new CreateBucketCommand({ Bucket }));
      const body = randomBytes(3 * 1024 * 1024 + 7);
      const pieces = Array.from({ length: Math.ceil(body.length / 65536) }, (_, i) => body.subarray(i * 65536, (i + 1) * 65536));
      // A stream body makes the SDK send aws-chunked framing with a checksum trailer.
      const put = await s3.send(new PutObjectCommand({ Bucket, Key: 'AWSLogs/111111111111/a.json.gz', Body: Readable.from(pieces), ContentLength: body.length }));
      await s3.send(new PutObjectCommand({ Bucket, Key: 'AWSLogs/111111111111/b.json.gz', Body: Buffer.from('b') }));
      await s3.send(new PutObjectCommand({ Bucket, Key: 'AWSLogs/222222222222/c.json.gz', Body: Buffer.from('c') }));
      // Only nested keys under this account: S3 still reports its folder as a common prefix.
      await s3.send(new PutObjectCommand({ Bucket, Key: 'AWSLogs/333333333333/CloudTrail/us-east-1/2026/01/02/d.json.gz', Body: Buffer.from('d') }));
      expect(put.ETag).toBe(`"${createHash('md5').update(body).digest('hex')}"`);

      const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'AWSLogs/111111111111/a.json.gz' }));
      const bytes = Buffer.from(await (got.Body as { transformToByteArray: () => Promise<Uint8Array> }).transformToByteArray());
      expect(bytes.equals(body)).toBe(true);
      expect(got.ETag).toBe(put.ETag);

      const folders = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'AWSLogs/', Delimiter: '/' }));
      expect((folders.CommonPrefixes ?? []).map((p) => p.Prefix)).toEqual(['AWSLogs/111111111111/', 'AWSLogs/222222222222/', 'AWSLogs/333333333333/']);
      const days = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'AWSLogs/333333333333/CloudTrail/us-east-1/2026/01/', Delimiter: '/' }));
      expect((days.CommonPrefixes ?? []).map((p) => p.Prefix)).toEqual(['AWSLogs/333333333333/CloudTrail/us-east-1/2026/01/02/']);
      const after = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'AWSLogs/111111111111/', StartAfter: 'AWSLogs/111111111111/a.json.gz' }));
      expect((after.Contents ?? []).map((o) => [o.Key, o.Size])).toEqual([['AWSLogs/111111111111/b.json.gz', 1]]);

      // Listings longer than one page continue with a token (s3rver encrypts it with DES: legacy OpenSSL provider).
      const many = Array.from({ length: 1005 }, (_, i) => `many/${String(i).padStart(4, '0')}`);
      for (let i = 0; i < many.length; i += 50) {
        await Promise.all(many.slice(i, i + 50).map((Key) => s3.send(new PutObjectCommand({ Bucket, Key, Body: Buffer.from('x') }))));
      }
      const page1 = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'many/' }));
      expect(page1.Contents).toHaveLength(1000);
      expect(page1.IsTruncated).toBe(true);
      const page2 = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'many/', ContinuationToken: page1.NextContinuationToken }));
      expect([...(page1.Contents ?? []), ...(page2.Contents ?? [])].map((o) => o.Key)).toEqual(many);
    } finally {
      s3.destroy();
    }
  });
});

describe('stopService / startService', () => {
  it('bring OpenSearch back at the same URL with its indices', async () => {
    const url = endpoints.OPENSEARCH_URL as string;
    const put = await fetch(`${url}/stack-test-persist/_doc/1?refresh=true`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kept: true }),
    });
    expect(put.status).toBe(201);

    expect(await stopService(dir, 'opensearch')).toBe(true);
    await expect(fetch(`${url}/`)).rejects.toThrow();
    expect((await status()).opensearch).toMatchObject({ running: false, healthy: false, url });

    const restarted = await startService(dir, 'opensearch');
    expect(restarted?.OPENSEARCH_URL).toBe(url);
    const doc = (await (await fetch(`${url}/stack-test-persist/_doc/1`)).json()) as { found: boolean; _source: unknown };
    expect(doc).toMatchObject({ found: true, _source: { kept: true } });
  });
});

describe('stack down', () => {
  it('stops every process the stack started and leaves none of ours running', async () => {
    expect(ourProcesses(endpoints.REDIS_URL as string).length).toBeGreaterThanOrEqual(3);
    const res = await runCli(['stack', 'down', '--dir', dir, '--json'], { env });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout).stopped.sort()).toEqual(['opensearch', 'redis', 's3']);
    expect(ourProcesses(endpoints.REDIS_URL as string)).toEqual([]);
    expect(fs.existsSync(path.join(dir, 'stack.env'))).toBe(false);

    const s = await status();
    for (const service of ['opensearch', 'redis', 's3']) expect(s[service]).toMatchObject({ running: false, healthy: false });

    const again = await runCli(['stack', 'down', '--dir', dir, '--json'], { env });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ stopped: [] });
  });
});
