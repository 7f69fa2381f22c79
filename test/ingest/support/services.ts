import type { S3Client } from '@aws-sdk/client-s3';
import { createOpenSearchClient, createRedis, createS3Client, type Config, type OpenSearchClient, type Redis } from '@trailscope/runtime';
import { cleanupNamespace, createBucket, deleteBucket, makeConfig, uniqueBucketName, uniqueNamespace } from '../../support/env';

/** A namespace, bucket and clients owned by one test; `close()` deletes everything it created. */
export interface TestScope {
  ns: string;
  bucket: string;
  config: Config;
  s3: S3Client;
  redis: Redis;
  opensearch: OpenSearchClient;
  close(): Promise<void>;
}

export async function createScope(prefix = 't-ingest', overrides: Record<string, string> = {}): Promise<TestScope> {
  const ns = uniqueNamespace(prefix);
  const config = makeConfig(ns, overrides);
  const s3 = createS3Client(config);
  const bucket = await createBucket(s3, uniqueBucketName('ts-ingest'));
  const redis = createRedis(config);
  const opensearch = createOpenSearchClient(config);
  return {
    ns,
    bucket,
    config,
    s3,
    redis,
    opensearch,
    async close() {
      await deleteBucket(s3, bucket).catch(() => undefined);
      await cleanupNamespace({ opensearch, redis }, ns);
      redis.disconnect();
      await opensearch.close();
      s3.destroy();
    },
  };
}
