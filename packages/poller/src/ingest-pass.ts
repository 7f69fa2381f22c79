import type { S3Client } from '@aws-sdk/client-s3';
import { errorCodeOf, errorMessageOf, isRetryable, type ErrorCode } from '@trailscope/model';
import type { Logger } from '@trailscope/runtime';
import { listPartition, mergeSkips, type LogObject, type SkipCounts } from '@trailscope/s3';
import type { DoneTracker, IngestJobData, Producer } from '@trailscope/queue';
import { planPartitions, type Partition, type PlanOptions } from './plan-partitions';
import { forEachConcurrent } from './for-each-concurrent';
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
  /** Attempts per partition listing on retryable S3 errors. */
  listAttempts?: number;
}

export interface PassStats {
  streams: number;
  partitions: number;
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
  listingErrors: Array<{ prefix: string; code: ErrorCode; message: string }>;
  /** Greatest key listed per stream root (the tailing checkpoint), for streams listed without error. */
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

export function toJobData(f: LogObject): IngestJobData {
  const data: IngestJobData = { bucket: f.bucket, key: f.key, etag: f.etag, size: f.size, kind: f.kind, account: f.account, region: f.region };
  if (f.orgId) data.orgId = f.orgId;
  return data;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One planning pass shared by backfill and poll: plan the day partitions, list them in parallel (bounded), skip
 * files already indexed, enqueue the rest with backpressure, and seal day folders that can no longer change.
 */
export async function runIngestPass(deps: PassDeps, options: PassOptions): Promise<PassStats> {
  const stats = emptyPassStats();
  const now = deps.now ?? (() => new Date());
  const plan = await planPartitions(deps.s3, options);
  stats.streams = plan.streams.length;
  stats.partitions = plan.partitions.length;
  mergeSkips(stats.skipped, plan.skipped);
  options.onProgress?.(stats);
  const failedStreams = new Set<string>();
  const maxKey = new Map<string, string>();
  const attempts = options.listAttempts ?? 5;

  const listAll = async (p: Partition): Promise<{ files: LogObject[]; skipped: SkipCounts; lastKey: string }> => {
    for (let attempt = 1; ; attempt++) {
      try {
        const files: LogObject[] = [];
        const skipped: SkipCounts = {};
        let lastKey = '';
        for await (const page of listPartition(deps.s3, { bucket: options.bucket, prefix: p.prefix })) {
          files.push(...page.files);
          mergeSkips(skipped, page.skipped);
          if (page.lastKey && page.lastKey > lastKey) lastKey = page.lastKey;
        }
        return { files, skipped, lastKey };
      } catch (err) {
        if (!isRetryable(err) || attempt >= attempts || options.signal?.aborted) throw err;
        deps.logger?.warn({ prefix: p.prefix, attempt, err: errorMessageOf(err) }, 'partition listing failed, retrying');
        await sleep(Math.min(1000 * 2 ** (attempt - 1), 15000));
      }
    }
  };

  await forEachConcurrent(plan.partitions, options.concurrency, async (p) => {
    if (options.signal?.aborted) return;
    let listing;
    try {
      listing = await listAll(p);
    } catch (err) {
      failedStreams.add(p.stream.root);
      stats.listingErrors.push({ prefix: p.prefix, code: errorCodeOf(err), message: errorMessageOf(err) });
      deps.logger?.error({ prefix: p.prefix, code: errorCodeOf(err), err: errorMessageOf(err) }, 'partition listing failed');
      return;
    }
    mergeSkips(stats.skipped, listing.skipped);
    const { files } = listing;
    stats.filesListed += files.length;
    if (files.length > 0) {
      const sel = await deps.done.filterPartition(options.bucket, p.prefix, files);
      stats.filesAlreadyIndexed += sel.done;
      const r = await deps.producer.enqueue(sel.todo.map(toJobData));
      stats.filesQueued += r.queued;
      stats.filesAdopted += r.adopted;
      stats.filesAlreadyIndexed += r.completed;
      stats.filesPreviouslyFailed += r.failed.length;
      stats.previouslyFailed.push(...r.failed);
      if (isClosedDay(p.date, now())) await deps.done.seal(options.bucket, p.prefix, files.length, sel.digest);
    }
    const prev = maxKey.get(p.stream.root);
    if (listing.lastKey && (!prev || listing.lastKey > prev)) maxKey.set(p.stream.root, listing.lastKey);
    stats.partitionsListed += 1;
    options.onProgress?.(stats);
  });
  for (const [root, key] of maxKey) if (!failedStreams.has(root)) stats.lastKeyByStream.set(root, key);
  return stats;
}
