import type { S3Client } from '@aws-sdk/client-s3';
import { dayStartAfter, discoverStreams, type LogStream, type SkipCounts } from '@trailscope/s3';
import { addDays, dayOfKey } from './dates';

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

/** One stream to list as a single ListObjectsV2 sequence over its delivery-day folders in range. */
export interface StreamListing {
  stream: LogStream;
  /** First delivery date listed (YYYY-MM-DD), from `--from` or the checkpoint; the whole stream when absent. */
  from?: string;
  /** Last delivery date listed, inclusive. */
  to?: string;
  /** Where the listing starts: just before the `from` day folder. */
  startAfter?: string;
}

export interface Plan {
  streams: LogStream[];
  listings: StreamListing[];
  skipped: SkipCounts;
}

/** The delivery date of a checkpoint key, from the day folder right below the stream root. */
function checkpointDay(root: string, key: string): string | undefined {
  const m = key.startsWith(root) ? /^(\d{4})\/(\d{2})\/(\d{2})\//.exec(key.slice(root.length)) : null;
  return m ? `${m[1]}-${m[2]}-${m[3]}` : dayOfKey(key);
}

/**
 * The one planner behind `backfill` and `poll`: discovers accounts, kinds and regions by Delimiter listings, and
 * gives each stream the day range to list (from `--from`/`--to` and the stream's checkpoint). The day folders
 * themselves are found by the stream listing (see `listStreamDays`), not by listings of their own.
 */
export async function planStreams(s3: S3Client, options: PlanOptions): Promise<Plan> {
  const discovery = await discoverStreams(s3, {
    bucket: options.bucket,
    prefix: options.prefix,
    accounts: options.accounts,
    regions: options.regions,
    concurrency: options.concurrency,
  });
  const listings = discovery.streams.map((stream) => {
    let from = options.from;
    const checkpoint = options.checkpoints?.get(stream.root);
    const cpDay = checkpoint ? checkpointDay(stream.root, checkpoint) : undefined;
    if (cpDay) {
      const resumeFrom = addDays(cpDay, -1);
      if (!from || resumeFrom > from) from = resumeFrom;
    }
    const listing: StreamListing = { stream };
    if (from) {
      listing.from = from;
      listing.startAfter = dayStartAfter(stream.root, from);
    }
    if (options.to) listing.to = options.to;
    return listing;
  });
  return { streams: discovery.streams, listings, skipped: { ...discovery.skipped } };
}
