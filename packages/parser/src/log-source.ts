import { parseLogKey } from '@trailscope/model';

/** Which S3 object a log file came from; account, region and orgId are read from the key's layout. */
export interface LogSource {
  bucket: string;
  key: string;
  etag: string;
  kind: 'log' | 'insight';
  account?: string;
  region?: string;
  orgId?: string;
}

/** A LogSource from an object's coordinates, using the key layout for kind, account, region and orgId. */
export function logSourceFor(bucket: string, key: string, etag: string): LogSource {
  const info = parseLogKey(key);
  const source: LogSource = { bucket, key, etag, kind: info.kind === 'insight' ? 'insight' : 'log' };
  if (info.account) source.account = info.account;
  if (info.region) source.region = info.region;
  if (info.orgId) source.orgId = info.orgId;
  return source;
}

export function s3UrlOf(source: Pick<LogSource, 'bucket' | 'key'>): string {
  return `s3://${source.bucket}/${source.key}`;
}
