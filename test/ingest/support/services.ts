import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, DeleteBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { loadConfig, createOpenSearchClient, createRedis, createS3Client, type Config, type Redis, type OpenSearchClient } from '@trailscope/runtime';

/** A namespace, bucket and clients owned by one test; `close()` deletes everything it created. */
export interface TestScope {
  ns: string;
  bucket: string;
  config: Config;
  env: NodeJS.ProcessEnv;
  s3: S3Client;
  redis: Redis;
  opensearch: OpenSearchClient;
  close(): Promise<void>;
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Environment for child `trailscope` processes and loadConfig: the services from the test environment plus our namespace. */
export function scopeEnv(ns: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, TRAILSCOPE_NAMESPACE: ns, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', ...extra };
}

export async function createScope(prefix = 't-ingest', extraEnv: Record<string, string> = {}): Promise<TestScope> {
  const ns = uniqueName(prefix);
  const bucket = uniqueName('ts-bucket');
  const env = scopeEnv(ns, extraEnv);
  const config = loadConfig({ env });
  const s3 = createS3Client(config);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const redis = createRedis(config);
  const opensearch = createOpenSearchClient(config);
  return {
    ns,
    bucket,
    config,
    env,
    s3,
    redis,
    opensearch,
    async close() {
      await emptyBucket(s3, bucket);
      await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
      await deleteRedisKeys(redis, [`${ns}:*`, `bull:${ns}-*`]);
      await opensearch.indices.delete({ index: `${ns}-*`, expand_wildcards: 'all', ignore_unavailable: true }).catch(() => undefined);
      await opensearch.indices.delete_index_template({ name: `${ns}-*` }).catch(() => undefined);
      redis.disconnect();
      await opensearch.close();
      s3.destroy();
    },
  };
}

export async function deleteRedisKeys(redis: Redis, patterns: string[]): Promise<void> {
  for (const match of patterns) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  }
}

export async function emptyBucket(s3: S3Client, bucket: string): Promise<void> {
  for (;;) {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket })).catch(() => undefined);
    const keys = (out?.Contents ?? []).map((o) => ({ Key: o.Key as string }));
    if (keys.length === 0) return;
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
  }
}

/** Polls `check` until it returns a value other than undefined, or fails after the deadline naming `what`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
