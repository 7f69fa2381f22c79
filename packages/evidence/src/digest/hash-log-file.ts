import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { errorCodeOf } from '@trailscope/model';
import { getObject } from '../io/get-object';
import { gunzipChunks } from '../io/gunzip-chunks';

export type LogFileHash = { status: 'missing' } | { status: 'unreadable'; reason: string } | { status: 'hashed'; sha256: string };

/** Hex SHA-256 of a log file's uncompressed content, streamed: memory is one chunk whatever the file's size. */
export async function hashLogFile(s3: S3Client, bucket: string, key: string): Promise<LogFileHash> {
  const object = await getObject(s3, bucket, key);
  if (!object) return { status: 'missing' };
  const hash = createHash('sha256');
  try {
    for await (const chunk of gunzipChunks(object.body, bucket, key)) hash.update(chunk);
  } catch (err) {
    const code = errorCodeOf(err);
    if (code === 'NOT_GZIP') return { status: 'unreadable', reason: 'not gzip-compressed' };
    if (code === 'GZIP_TRUNCATED') return { status: 'unreadable', reason: 'gzip stream is truncated' };
    throw err;
  }
  return { status: 'hashed', sha256: hash.digest('hex') };
}
