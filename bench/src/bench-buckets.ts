import * as http from 'node:http';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { Config } from '@trailscope/runtime';

const MANIFEST_KEY = 'bench-manifest.json';

/** An S3 client for bulk uploads: keep-alive sockets, many in flight. */
export function createBenchS3(config: Config, maxSockets = 64): S3Client {
  const { endpoint, forcePathStyle, region, accessKeyId, secretAccessKey } = config.s3;
  return new S3Client({
    region,
    endpoint,
    forcePathStyle,
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
    maxAttempts: 5,
    requestHandler: { httpAgent: new http.Agent({ keepAlive: true, maxSockets }) },
  });
}

export async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw err;
  }
}

/**
 * The manifest a data bucket gets once fully uploaded: a bucket whose manifest matches is reused as is, so the
 * expensive uploads (100,000 objects for discovery) happen once per stack.
 */
export async function readManifest(s3: S3Client, bucket: string): Promise<unknown> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: MANIFEST_KEY }));
    return JSON.parse(await (out.Body as { transformToString(): Promise<string> }).transformToString());
  } catch {
    return undefined;
  }
}

export async function writeManifest(s3: S3Client, bucket: string, manifest: unknown): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: MANIFEST_KEY, Body: JSON.stringify(manifest), ContentType: 'application/json' }));
}

export function sameManifest(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Uploads objects from an iterable with `concurrency` PUTs in flight, pulling items only as slots free up. */
export async function uploadAll(
  s3: S3Client,
  bucket: string,
  objects: Iterable<{ key: string; body: Buffer }>,
  concurrency: number,
  onProgress?: (uploaded: number) => void,
): Promise<number> {
  const it = objects[Symbol.iterator]();
  let uploaded = 0;
  let done = false;
  const lane = async () => {
    for (;;) {
      if (done) return;
      const next = it.next();
      if (next.done) {
        done = true;
        return;
      }
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: next.value.key, Body: next.value.body }));
      uploaded += 1;
      if (onProgress && uploaded % 5000 === 0) onProgress(uploaded);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return uploaded;
}

/** Empties and deletes a bucket, paging by StartAfter (1,000 keys per DeleteObjects). */
export async function deleteBucket(s3: S3Client, bucket: string): Promise<void> {
  for (;;) {
    let out;
    try {
      out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1000 }));
    } catch (err) {
      if ((err as { name?: string }).name === 'NoSuchBucket') return;
      throw err;
    }
    const keys = (out.Contents ?? []).map((o) => ({ Key: o.Key as string }));
    if (keys.length === 0) break;
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
  }
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
}

/** GETs every object of a bucket once, `concurrency` at a time, discarding the bodies. */
export async function readAllObjects(s3: S3Client, bucket: string, concurrency: number): Promise<number> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const o of out.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
  let next = 0;
  const lane = async () => {
    while (next < keys.length) {
      const key = keys[next++] as string;
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      await (res.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return keys.length;
}
