import type { SkipReason } from '@trailscope/model';

/** One object as a listing returns it. */
export interface S3ObjectSummary {
  key: string;
  size: number;
  /** ETag without the surrounding quotes. */
  etag: string;
}

/** A CloudTrail log file (or Insights file) worth ingesting, with what its key says about it. */
export interface LogObject extends S3ObjectSummary {
  bucket: string;
  kind: 'log' | 'insight';
  account: string;
  region: string;
  orgId?: string;
  /** Delivery-date folder, YYYY-MM-DD. */
  deliveryDate: string;
}

/** Objects passed over, by reason; `out-of-range` counts log files outside the requested dates. */
export type SkipCounts = Partial<Record<SkipReason | 'out-of-range', number>>;

export function addSkip(counts: SkipCounts, reason: keyof SkipCounts, n = 1): void {
  counts[reason] = (counts[reason] ?? 0) + n;
}

export function mergeSkips(into: SkipCounts, from: SkipCounts): SkipCounts {
  for (const [reason, n] of Object.entries(from) as Array<[keyof SkipCounts, number]>) addSkip(into, reason, n);
  return into;
}

export function stripEtag(etag: string | undefined): string {
  return (etag ?? '').replace(/^"+|"+$/g, '');
}
