import { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import { S3Client } from '@aws-sdk/client-s3';
import IORedis, { type Redis } from 'ioredis';
import type { Config } from './config';

export type { OpenSearchClient, Redis };

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

/** BullMQ workers need `maxRetriesPerRequest: null` so that blocking commands survive a Redis restart. */
export function createRedis(config: Config, options: { lazyConnect?: boolean } = {}): Redis {
  return new IORedis(config.redis.url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    lazyConnect: options.lazyConnect ?? false,
    retryStrategy: (times) => Math.min(200 * times, 5000),
  });
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
