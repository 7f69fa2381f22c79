import { TrailscopeError, type ErrorCode } from '@trailscope/model';

export interface S3ErrorTarget {
  bucket: string;
  key?: string;
  /** The S3 operation, for the message: ListObjectsV2, GetObject... */
  operation: string;
}

const NOT_FOUND = new Set(['NoSuchKey', 'NoSuchBucket', 'NotFound']);
const DENIED = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'Forbidden', 'AllAccessDisabled']);
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ECONNABORTED']);

/** `s3://bucket/key`, or `s3://bucket/` for bucket-level operations. */
export function s3Url(bucket: string, key?: string): string {
  return `s3://${bucket}/${key ?? ''}`;
}

function codeFor(err: unknown): ErrorCode {
  const e = (err ?? {}) as { name?: string; Code?: string; code?: string; $metadata?: { httpStatusCode?: number }; $fault?: string };
  const name = e.name ?? e.Code ?? '';
  const status = e.$metadata?.httpStatusCode;
  if (NOT_FOUND.has(name) || status === 404) return 'S3_NOT_FOUND';
  if (DENIED.has(name) || status === 403) return 'S3_ACCESS_DENIED';
  // Everything else S3 or the network can throw at us (5xx, throttling, timeouts, resets, aborted streams) may
  // succeed on a later attempt, so it is retryable; a genuinely bad request would keep failing within the bounded
  // attempts of the job.
  if (e.code && NETWORK.has(e.code)) return 'S3_UNAVAILABLE';
  return 'S3_UNAVAILABLE';
}

/** Wraps any error thrown by the S3 client into a TrailscopeError naming the object. */
export function toS3Error(err: unknown, target: S3ErrorTarget): TrailscopeError {
  if (err instanceof TrailscopeError) return err;
  const code = codeFor(err);
  const e = (err ?? {}) as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const detail = [e.name, e.$metadata?.httpStatusCode, e.message].filter((x) => x !== undefined && x !== '').join(' ');
  return new TrailscopeError(code, `${target.operation} ${s3Url(target.bucket, target.key)} failed: ${detail || String(err)}`, {
    cause: err,
    context: { bucket: target.bucket, key: target.key, operation: target.operation },
  });
}
