import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { TrailscopeError } from '@trailscope/model';

export interface FetchedObject {
  body: Readable;
  /** User metadata (x-amz-meta-*), keys lower-case. */
  metadata: Record<string, string>;
  size?: number;
}

function isMissing(err: unknown): boolean {
  const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.Code === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}

/**
 * GetObject with its metadata (the digest signature lives there, which the ingest path's reader does not return).
 * An absent object is `undefined`: for validation that is a finding, not a failure; anything else S3 answers is an
 * error naming the object.
 */
export async function getObject(s3: S3Client, bucket: string, key: string): Promise<FetchedObject | undefined> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const metadata: Record<string, string> = {};
    for (const [k, v] of Object.entries(out.Metadata ?? {})) metadata[k.toLowerCase()] = v;
    if (!out.Body) throw new TrailscopeError('S3_UNAVAILABLE', `GetObject s3://${bucket}/${key} returned no body`, { context: { bucket, key } });
    return { body: out.Body as Readable, metadata, size: out.ContentLength };
  } catch (err) {
    if (err instanceof TrailscopeError) throw err;
    if (isMissing(err)) return undefined;
    const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode;
    const code = status === 403 || e.name === 'AccessDenied' ? 'S3_ACCESS_DENIED' : 'S3_UNAVAILABLE';
    throw new TrailscopeError(code, `GetObject s3://${bucket}/${key} failed: ${[e.name, status, e.message].filter(Boolean).join(' ')}`, {
      cause: err,
      context: { bucket, key, operation: 'GetObject' },
    });
  }
}
