import { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import { S3Client } from '@aws-sdk/client-s3';
import IORedis, { Cluster } from 'ioredis';
import type { Config } from './config';

/** A single Redis or a Redis Cluster: every Redis user takes either, as `createRedis` makes it. */
export type Redis = IORedis | Cluster;

export type { OpenSearchClient };

export function createOpenSearchClient(config: Config, options: { requestTimeoutMs?: number } = {}): OpenSearchClient {
  const { url, username, password, tlsInsecure } = config.opensearch;
  return new OpenSearchClient({
    node: url,
    auth: username && password ? { username, password } : undefined,
    ssl: tlsInsecure ? { rejectUnauthorized: false } : undefined,
    requestTimeout: options.requestTimeoutMs ?? 60000,
    maxRetries: 0,
    compression: undefined,
  });
}

const retryDelayMs = (times: number) => Math.min(200 * times, 5000);

/**
 * BullMQ workers need `maxRetriesPerRequest: null` so that blocking commands survive a Redis restart. With
 * REDIS_CLUSTER_NODES set this is an ioredis Cluster (the names then carry hash tags, see `namesFor`).
 */
export function createRedis(config: Config, options: { lazyConnect?: boolean } = {}): Redis {
  const lazyConnect = options.lazyConnect ?? false;
  if (config.redis.clusterNodes) {
    return new Cluster(config.redis.clusterNodes.map((n) => ({ ...n })), {
      redisOptions: { maxRetriesPerRequest: null },
      enableReadyCheck: true,
      lazyConnect,
      clusterRetryStrategy: retryDelayMs,
    });
  }
  return new IORedis(config.redis.url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    lazyConnect,
    retryStrategy: retryDelayMs,
  });
}

/** True for a client created with REDIS_CLUSTER_NODES. */
export function isRedisCluster(redis: Redis): redis is Cluster {
  return redis instanceof Cluster;
}

/** The single Redis, or every master of a cluster (connecting first: a cluster knows its nodes once connected). */
async function serverNodes(redis: Redis): Promise<IORedis[]> {
  if (!isRedisCluster(redis)) return [redis];
  if (redis.nodes('master').length === 0) await redis.ping();
  return redis.nodes('master');
}

/**
 * Every key matching `pattern`, by SCAN: on a cluster each master holds part of the key space, so every master is
 * scanned. Yields one SCAN page at a time, each page keys of one node.
 */
export async function* scanKeys(redis: Redis, pattern: string, count = 1000): AsyncGenerator<string[]> {
  for (const node of await serverNodes(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', count);
      cursor = next;
      if (keys.length > 0) yield keys;
    } while (cursor !== '0');
  }
}

/** Changes when a Redis server restarts (losing what it held without persistence); on a cluster, when any master does. */
export async function redisRunId(redis: Redis): Promise<string> {
  const ids = await Promise.all((await serverNodes(redis)).map(async (node) => /run_id:(\w+)/.exec(await node.info('server'))?.[1] ?? ''));
  return ids.sort().join(',');
}

export function createS3Client(config: Config): S3Client {
  const { endpoint, forcePathStyle, region, accessKeyId, secretAccessKey } = config.s3;
  return new S3Client({
    region,
    endpoint,
    forcePathStyle,
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
    maxAttempts: 4,
  });
}
