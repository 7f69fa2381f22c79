import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { TrailscopeError } from '@trailscope/model';
import { s3Url, toS3Error } from './s3-error';
import { stripEtag } from './object-ref';

export interface OpenedObject {
  /** The object's bytes as stored (still gzip-compressed); errors are TrailscopeErrors naming the object. */
  body: AsyncIterable<Buffer>;
  etag: string;
  size: number;
}

export interface OpenObjectOptions {
  maxObjectBytes: number;
  /** Read this exact version: a changed object fails with S3_NOT_FOUND instead of being read under the old etag. */
  etag?: string;
}

function tooLarge(bucket: string, key: string, size: number, max: number): TrailscopeError {
  return new TrailscopeError(
    'OBJECT_TOO_LARGE',
    `${s3Url(bucket, key)} is ${size} bytes, above the cap of ${max} bytes (TRAILSCOPE_MAX_OBJECT_BYTES)`,
    { context: { bucket, key, size, maxObjectBytes: max } },
  );
}

/**
 * Guards the body: a connection that drops mid-object must surface as a retryable S3 error, never as a truncated
 * gzip stream (which the parser would rightly call a permanently broken file).
 */
async function* guardBody(body: Readable, bucket: string, key: string, expectedBytes: number | undefined, max: number): AsyncGenerator<Buffer> {
  let received = 0;
  try {
    for await (const chunk of body) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      received += buf.length;
      if (received > max) throw tooLarge(bucket, key, received, max);
      yield buf;
    }
  } catch (err) {
    throw err instanceof TrailscopeError ? err : toS3Error(err, { bucket, key, operation: 'GetObject (body)' });
  } finally {
    if (!body.destroyed) body.destroy();
  }
  if (expectedBytes !== undefined && received !== expectedBytes) {
    throw new TrailscopeError(
      'S3_UNAVAILABLE',
      `GetObject ${s3Url(bucket, key)} ended after ${received} of ${expectedBytes} bytes`,
      { context: { bucket, key, received, expectedBytes } },
    );
  }
}

/** Starts streaming one object; rejects objects above the size cap before reading their bytes. */
export async function openObject(s3: S3Client, bucket: string, key: string, options: OpenObjectOptions): Promise<OpenedObject> {
  let out;
  try {
    out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, IfMatch: options.etag ? `"${options.etag}"` : undefined }));
  } catch (err) {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'PreconditionFailed' || e.$metadata?.httpStatusCode === 412) {
      throw new TrailscopeError('S3_NOT_FOUND', `${s3Url(bucket, key)} changed since it was listed (etag ${options.etag} is gone)`, {
        cause: err,
        context: { bucket, key, etag: options.etag },
      });
    }
    throw toS3Error(err, { bucket, key, operation: 'GetObject' });
  }
  const body = out.Body as Readable | undefined;
  const size = out.ContentLength;
  if (size !== undefined && size > options.maxObjectBytes) {
    body?.destroy();
    throw tooLarge(bucket, key, size, options.maxObjectBytes);
  }
  if (!body) throw new TrailscopeError('S3_UNAVAILABLE', `GetObject ${s3Url(bucket, key)} returned no body`, { context: { bucket, key } });
  return { body: guardBody(body, bucket, key, size, options.maxObjectBytes), etag: stripEtag(out.ETag), size: size ?? -1 };
}
