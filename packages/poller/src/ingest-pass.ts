import type { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '@trailscope/runtime';
import { mergeSkips, type DayBatch, type LogObject, type SkipCounts } from '@trailscope/s3';
import type { DoneTracker, IngestJobData, Producer } from '@trailscope/queue';
import { planStreams, type PlanOptions, type StreamListing } from './plan-streams';
import { listStreams, type ListingError } from './list-streams';
import { isClosedDay } from './dates';

export interface PassDeps {
  s3: S3Client;
  producer: Producer;
  done: DoneTracker;
  logger?: Logger;
  /** Wall clock, injectable so that "closed day" decisions are testable. */
  now?: () => Date;
}

export interface PassOptions extends PlanOptions {
  signal?: AbortSignal;
  onProgress?: (stats: PassStats) => void;
  /** Attempts per day batch of a stream listing on retryable S3 errors. */
  listAttempts?: number;
  /** Keys per ListObjectsV2 page (`STREAM_PAGE_SIZE` when absent). */
  pageSize?: number;
  /** false: the files' findings are recorded without alerting (a backfill without `--alert`). Default true. */
  alert?: boolean;
}

export interface PassStats {
  streams: number;
  /** Delivery-day folders found so far (the listing finds them: this grows during the pass). */
  partitions: number;
  /** Day folders whose files were all filtered and enqueued. */
  partitionsListed: number;
  filesListed: number;
  /** New jobs added by this pass. */
  filesQueued: number;
  /** Jobs already waiting or running from an interrupted run, now counted as this run's. */
  filesAdopted: number;
  /** Files skipped because they are already fully indexed. */
  filesAlreadyIndexed: number;
  /** Files whose job had already failed permanently (see `trailscope failed`). */
  filesPreviouslyFailed: number;
  /** Those files (bounded: BullMQ keeps a bounded number of failed jobs). */
  previouslyFailed: IngestJobData[];
  skipped: SkipCounts;
  /** Streams whose listing failed, by stream root. */
  listingErrors: ListingError[];
  /** Greatest key listed in a day folder per stream root (the tailing checkpoint), for streams listed without error. */
  lastKeyByStream: Map<string, string>;
}

export function emptyPassStats(): PassStats {
  return {
    streams: 0,
    partitions: 0,
    partitionsListed: 0,
    filesListed: 0,
    filesQueued: 0,
    filesAdopted: 0,
    filesAlreadyIndexed: 0,
    filesPreviouslyFailed: 0,
    previouslyFailed: [],
    skipped: {},
    listingErrors: [],
    lastKeyByStream: new Map(),
  };
}

export function toJobData(f: LogObject, alert = true): IngestJobData {
  const data: IngestJobData = { bucket: f.bucket, key: f.key, etag: f.etag, size: f.size, kind: f.kind, account: f.account, region: f.region };
  if (f.orgId) data.orgId = f.orgId;
  if (!alert) data.alert = false;
  return data;
}

/**
 * One planning pass shared by backfill and poll: discover the streams, list each one as a single sequence (streams
 * in parallel, bounded), and for every delivery-day folder as it completes skip the files already indexed, enqueue
 * the rest with backpressure, and seal the folder once it can no longer change.
 */
export async function runIngestPass(deps: PassDeps, options: PassOptions): Promise<PassStats> {
  const stats = emptyPassStats();
  const now = deps.now ?? (() => new Date());
  const plan = await planStreams(deps.s3, options);
  stats.streams = plan.streams.length;
  mergeSkips(stats.skipped, plan.skipped);
  options.onProgress?.(stats);

  const onBatch = async (_listing: StreamListing, batch: DayBatch): Promise<void> => {
    mergeSkips(stats.skipped, batch.skipped);
    if (batch.prefix === undefined || batch.date === undefined) {
      options.onProgress?.(stats);
      return;
    }
    // Day folders are found by the listing itself: the count grows as the pass goes.
    stats.partitions += 1;
    const { files } = batch;
    stats.filesListed += files.length;
    if (files.length > 0) {
      const sel = await deps.done.filterPartition(options.bucket, batch.prefix, files);
      stats.filesAlreadyIndexed += sel.done;
      const r = await deps.producer.enqueue(sel.todo.map((f) => toJobData(f, options.alert !== false)));
      stats.filesQueued += r.queued;
      stats.filesAdopted += r.adopted;
      stats.filesAlreadyIndexed += r.completed;
      stats.filesPreviouslyFailed += r.failed.length;
      stats.previouslyFailed.push(...r.failed);
      if (isClosedDay(batch.date, now())) await deps.done.seal(options.bucket, batch.prefix, files.length, sel.digest);
    }
    stats.partitionsListed += 1;
    options.onProgress?.(stats);
  };
  await listStreams(
    deps.s3,
    plan.listings,
    { bucket: options.bucket, concurrency: options.concurrency, signal: options.signal, listAttempts: options.listAttempts, pageSize: options.pageSize, logger: deps.logger },
    onBatch,
    stats,
  );
  return stats;
}
