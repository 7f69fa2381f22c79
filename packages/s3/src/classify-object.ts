import { parseLogKey, type SkipReason } from '@trailscope/model';
import type { LogObject, S3ObjectSummary } from './object-ref';

export type Classified = { file: LogObject } | { skip: SkipReason };

/** Decides from the key alone whether an object is a log file to ingest, and why not when it is not. */
export function classifyObject(bucket: string, obj: S3ObjectSummary): Classified {
  const info = parseLogKey(obj.key);
  if (info.kind === 'log' || info.kind === 'insight') {
    const file: LogObject = {
      ...obj,
      bucket,
      kind: info.kind,
      account: info.account as string,
      region: info.region as string,
      deliveryDate: info.deliveryDate as string,
    };
    if (info.orgId) file.orgId = info.orgId;
    return { file };
  }
  return { skip: info.skipReason ?? 'not-cloudtrail' };
}
