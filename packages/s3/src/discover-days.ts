import type { S3Client } from '@aws-sdk/client-s3';
import { listLevel } from './list-level';
import { classifyObject } from './classify-object';
import { addSkip, type SkipCounts } from './object-ref';
import type { LogStream } from './log-stream';

export interface DayRange {
  /** First delivery date, YYYY-MM-DD, inclusive. */
  from?: string;
  /** Last delivery date, YYYY-MM-DD, inclusive. */
  to?: string;
}

const inRange = (value: string, from: string | undefined, to: string | undefined, width: number) =>
  (!from || value >= from.slice(0, width)) && (!to || value <= to.slice(0, width));

/**
 * The delivery-date folders of a stream within a range, found by Delimiter listings of the year, month and day
 * levels; whole years and months outside the range are never listed.
 */
export async function discoverDays(
  s3: S3Client,
  bucket: string,
  stream: LogStream,
  range: DayRange = {},
): Promise<{ days: string[]; skipped: SkipCounts }> {
  const skipped: SkipCounts = {};
  const count = (objects: Array<{ key: string; size: number; etag: string }>) => {
    for (const o of objects) {
      const c = classifyObject(bucket, o);
      addSkip(skipped, 'skip' in c ? c.skip : 'not-cloudtrail');
    }
  };
  const segments = async (prefix: string, re: RegExp) => {
    const level = await listLevel(s3, { bucket, prefix });
    count(level.objects);
    return level.prefixes.map((p) => p.slice(prefix.length, -1)).filter((s) => re.test(s));
  };
  const days: string[] = [];
  for (const y of await segments(stream.root, /^\d{4}$/)) {
    if (!inRange(y, range.from, range.to, 4)) continue;
    for (const m of await segments(`${stream.root}${y}/`, /^\d{2}$/)) {
      if (!inRange(`${y}-${m}`, range.from, range.to, 7)) continue;
      for (const d of await segments(`${stream.root}${y}/${m}/`, /^\d{2}$/)) {
        const date = `${y}-${m}-${d}`;
        if (inRange(date, range.from, range.to, 10)) days.push(date);
      }
    }
  }
  days.sort();
  return { days, skipped };
}
