import type { S3Client } from '@aws-sdk/client-s3';
import { errorCodeOf, errorMessageOf, isRetryable, type ErrorCode } from '@trailscope/model';
import type { Logger } from '@trailscope/runtime';
import { listStreamDays, type DayBatch } from '@trailscope/s3';
import { forEachConcurrent } from './for-each-concurrent';
import type { StreamListing } from './plan-streams';

export interface ListStreamsOptions {
  bucket: string;
  /** Streams listed in parallel (TRAILSCOPE_LIST_CONCURRENCY). */
  concurrency: number;
  signal?: AbortSignal;
  /** Attempts per day batch on retryable S3 errors. */
  listAttempts?: number;
  /** Keys per ListObjectsV2 page (`STREAM_PAGE_SIZE` when absent). */
  pageSize?: number;
  logger?: Logger;
}

export interface ListingError {
  /** The stream root whose listing failed. */
  prefix: string;
  code: ErrorCode;
  message: string;
}

export interface ListStreamsResult {
  listingErrors: ListingError[];
  /** Greatest key listed in a day folder per stream root (the tailing checkpoint), for streams listed without error. */
  lastKeyByStream: Map<string, string>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Lists every stream as one ListObjectsV2 sequence, streams in parallel (bounded), and hands each delivery-day
 * batch to `onBatch` in key order; the next batch of a stream is listed only once `onBatch` has resolved, so
 * memory is one day per stream in flight and backpressure in `onBatch` slows the listing down. A retryable error
 * restarts the stream's listing right after the last batch handed over, so no day is seen twice. Errors thrown by
 * `onBatch` are not listing errors: they reject the whole call.
 */
export async function listStreams(
  s3: S3Client,
  listings: StreamListing[],
  options: ListStreamsOptions,
  onBatch: (listing: StreamListing, batch: DayBatch) => Promise<void>,
  result: ListStreamsResult = { listingErrors: [], lastKeyByStream: new Map() },
): Promise<ListStreamsResult> {
  const attempts = options.listAttempts ?? 5;
  const { signal, logger } = options;
  await forEachConcurrent(listings, options.concurrency, async (listing) => {
    const { root } = listing.stream;
    // An empty range (a checkpoint past `--to`) needs no request.
    if (listing.from && listing.to && listing.from > listing.to) return;
    let startAfter = listing.startAfter;
    let lastDayKey: string | undefined;
    let attempt = 1;
    retry: for (;;) {
      const batches = listStreamDays(s3, { bucket: options.bucket, root, startAfter, to: listing.to, pageSize: options.pageSize });
      for (;;) {
        if (signal?.aborted) break retry;
        let next: IteratorResult<DayBatch>;
        try {
          next = await batches.next();
        } catch (err) {
          if (!isRetryable(err) || attempt >= attempts || signal?.aborted) {
            result.listingErrors.push({ prefix: root, code: errorCodeOf(err), message: errorMessageOf(err) });
            logger?.error({ prefix: root, startAfter, code: errorCodeOf(err), err }, 'stream listing failed');
            return;
          }
          logger?.warn({ prefix: root, startAfter, attempt, err }, 'stream listing failed, retrying');
          await sleep(Math.min(1000 * 2 ** (attempt - 1), 15000));
          attempt += 1;
          continue retry;
        }
        if (next.done) break retry;
        await onBatch(listing, next.value);
        startAfter = next.value.lastKey;
        if (next.value.date !== undefined) lastDayKey = next.value.lastKey;
        attempt = 1;
      }
    }
    if (lastDayKey) result.lastKeyByStream.set(root, lastDayKey);
  });
  return result;
}
