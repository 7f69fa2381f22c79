import type { S3Client } from '@aws-sdk/client-s3';
import { listPages } from './list-level';
import { classifyObject } from './classify-object';
import { addSkip, type LogObject, type SkipCounts } from './object-ref';

/**
 * A run of consecutive keys of one stream listing: one delivery-day folder (plus any keys outside day folders met
 * just before it), or, with no `date`, the keys outside day folders after the last day.
 */
export interface DayBatch {
  /** Delivery date YYYY-MM-DD of the day folder. */
  date?: string;
  /** The day folder, `<root>YYYY/MM/DD/`. */
  prefix?: string;
  files: LogObject[];
  /** Every other object of the batch, by reason (digests, folder keys, foreign objects). */
  skipped: SkipCounts;
  /** The batch's last key: a StartAfter that resumes the listing right after this batch. */
  lastKey: string;
}

export interface StreamDaysOptions {
  bucket: string;
  /** The stream's folder (`LogStream.root`), ending in "/". */
  root: string;
  /** List only keys after this one (see `dayStartAfter`); from the start of the stream when absent. */
  startAfter?: string;
  /** Last delivery date (YYYY-MM-DD, inclusive): the listing stops at the first key past this day's folder. */
  to?: string;
  pageSize?: number;
}

const DAY_RE = /^(\d{4})\/(\d{2})\/(\d{2})\//;

/**
 * Keys per page of a stream listing, below S3's maximum of 1,000 on purpose: several listings are in flight at once
 * and the SDK's XML parser leaves several KB of short-lived strings per key. With 1,000-key pages that garbage
 * outlived young-generation collections, and the peak RSS of a listing grew with its length (+15% for twice the
 * files, 8 streams in flight); at 300 it stays within a few percent, for a few percent more listing time.
 */
export const STREAM_PAGE_SIZE = 300;

/** The StartAfter that begins a stream listing at the day folder of `date`: sorts before it and after every earlier day. */
export function dayStartAfter(root: string, date: string): string {
  return `${root}${date.replace(/-/g, '/')}`;
}

/**
 * Lists a whole stream as one ListObjectsV2 sequence and hands it back one delivery-day folder at a time. Keys come
 * sorted, so a day's keys are contiguous: a day is complete as soon as a key of another day arrives, and is yielded
 * then. Memory is one page plus one day's files, and the request count is the stream's pages, however many days it
 * spans.
 */
export async function* listStreamDays(s3: S3Client, options: StreamDaysOptions): AsyncGenerator<DayBatch> {
  const { bucket, root } = options;
  // Past the `to` day once a key's first characters after the root sort after `YYYY/MM/DD/`.
  const toBound = options.to ? `${options.to.replace(/-/g, '/')}/` : undefined;
  let batch: DayBatch | undefined;
  let dayFolder: string | undefined;
  for await (const page of listPages(s3, { bucket, prefix: root, startAfter: options.startAfter, pageSize: options.pageSize ?? STREAM_PAGE_SIZE })) {
    for (const obj of page.objects) {
      const rest = obj.key.slice(root.length);
      if (toBound && rest.slice(0, toBound.length) > toBound) {
        if (batch) yield batch;
        return;
      }
      const m = DAY_RE.exec(rest);
      const folder = m ? (m[0] as string) : undefined;
      if (batch && batch.date !== undefined && folder !== dayFolder) {
        yield batch;
        batch = undefined;
      }
      if (!batch) batch = { files: [], skipped: {}, lastKey: '' };
      if (m && batch.date === undefined) {
        batch.date = `${m[1]}-${m[2]}-${m[3]}`;
        batch.prefix = `${root}${folder}`;
        dayFolder = folder;
      }
      const c = classifyObject(bucket, obj);
      if ('file' in c) batch.files.push(c.file);
      else addSkip(batch.skipped, c.skip);
      batch.lastKey = obj.key;
    }
  }
  if (batch) yield batch;
}
