import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { TrailscopeError } from '@trailscope/model';

/**
 * The uncompressed bytes of a gzip object, chunk by chunk. A body that is not gzip or ends early is NOT_GZIP or
 * GZIP_TRUNCATED (a property of the object: for validation, a finding); a connection that fails mid-object stays an
 * S3 error, so that a network problem is never reported as tampering.
 */
export async function* gunzipChunks(body: Readable, bucket: string, key: string): AsyncGenerator<Buffer> {
  const gunzip = createGunzip();
  let s3Failure: TrailscopeError | undefined;
  body.once('error', (err) => {
    s3Failure = new TrailscopeError('S3_UNAVAILABLE', `GetObject s3://${bucket}/${key} failed while reading: ${err.message}`, { cause: err, context: { bucket, key } });
    gunzip.destroy(s3Failure);
  });
  body.pipe(gunzip);
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (err) {
    if (s3Failure) throw s3Failure;
    const code = (err as { code?: string }).code;
    const truncated = code === 'Z_BUF_ERROR' || /unexpected end/i.test((err as Error).message ?? '');
    throw new TrailscopeError(truncated ? 'GZIP_TRUNCATED' : 'NOT_GZIP', `s3://${bucket}/${key}: ${truncated ? 'gzip stream is truncated' : 'not gzip-compressed'} (${(err as Error).message})`, {
      cause: err,
      context: { bucket, key },
    });
  } finally {
    if (!body.destroyed) body.destroy();
    if (!gunzip.destroyed) gunzip.destroy();
  }
}
