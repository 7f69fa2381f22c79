import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { TrailscopeError } from '@trailscope/model';

/** Whether an object exists (HeadObject); errors other than "not found" name the object. */
export async function objectExists(s3: S3Client, bucket: string, key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (err) {
    const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode;
    if (e.name === 'NotFound' || e.name === 'NoSuchKey' || status === 404) return false;
    const code = status === 403 || e.name === 'AccessDenied' ? 'S3_ACCESS_DENIED' : 'S3_UNAVAILABLE';
    throw new TrailscopeError(code, `HeadObject s3://${bucket}/${key} failed: ${[e.name, status, e.message].filter(Boolean).join(' ')}`, {
      cause: err,
      context: { bucket, key, operation: 'HeadObject' },
    });
  }
}
