import type { S3Client } from '@aws-sdk/client-s3';
import { discoverDays, discoverStreams, mergeSkips, dayPrefix, type LogStream, type SkipCounts } from '@trailscope/s3';
import pLimit from 'p-limit';
import { addDays, dayOfKey } from './dates';

/** One account/kind/region/day folder to list. */
export interface Partition {
  stream: LogStream;
  /** Delivery date YYYY-MM-DD. */
  date: string;
  /** The folder to list, ending in "/". */
  prefix: string;
}

export interface PlanOptions {
  bucket: string;
  prefix?: string;
  /** Delivery-date folders from this day (inclusive). */
  from?: string;
  /** Delivery-date folders up to this day (inclusive). */
  to?: string;
  accounts?: string[];
  regions?: string[];
  concurrency: number;
  /**
   * Tailing checkpoints by stream root (greatest key seen). A stream with one is listed from the day before the
   * checkpoint's day: the last two delivery days are always listed again, because CloudTrail delivers out of order
   * and a later listing can find a file that sorts before the checkpoint.
   */
  checkpoints?: Map<string, string>;
}

export interface Plan {
  streams: LogStream[];
  partitions: Partition[];
  skipped: SkipCounts;
}

/**
 * The one planner behind `backfill` and `poll`: discovers accounts and regions by Delimiter listings, then the
 * delivery-day folders of each stream within the range, oldest first across all streams.
 */
export async function planPartitions(s3: S3Client, options: PlanOptions): Promise<Plan> {
  const discovery = await discoverStreams(s3, {
    bucket: options.bucket,
    prefix: options.prefix,
    accounts: options.accounts,
    regions: options.regions,
    concurrency: options.concurrency,
  });
  const skipped = { ...discovery.skipped };
  const partitions: Partition[] = [];
  const limit = pLimit(options.concurrency);
  await Promise.all(
    discovery.streams.map((stream) =>
      limit(async () => {
        let from = options.from;
        const checkpoint = options.checkpoints?.get(stream.root);
        const cpDay = checkpoint ? dayOfKey(checkpoint) : undefined;
        if (cpDay) {
          const resumeFrom = addDays(cpDay, -1);
          if (!from || resumeFrom > from) from = resumeFrom;
        }
        const { days, skipped: s } = await discoverDays(s3, options.bucket, stream, { from, to: options.to });
        mergeSkips(skipped, s);
        for (const date of days) partitions.push({ stream, date, prefix: dayPrefix(stream, date) });
      }),
    ),
  );
  partitions.sort((a, b) => (a.date !== b.date ? (a.date < b.date ? -1 : 1) : a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
  return { streams: discovery.streams, partitions, skipped };
}
