import type { S3Client } from '@aws-sdk/client-s3';
import { listPages } from './list-level';
import { classifyObject } from './classify-object';
import { addSkip, type LogObject, type SkipCounts } from './object-ref';

export interface PartitionPage {
  files: LogObject[];
  skipped: SkipCounts;
  /** The last key of this page: a StartAfter to resume the listing from. */
  lastKey?: string;
}

/**
 * Lists one day partition (or any prefix) and classifies every object, one page at a time. Digests, folder keys and
 * foreign objects are counted by reason, never returned as files.
 */
export async function* listPartition(
  s3: S3Client,
  options: { bucket: string; prefix: string; startAfter?: string; pageSize?: number },
): AsyncGenerator<PartitionPage> {
  for await (const page of listPages(s3, options)) {
    const out: PartitionPage = { files: [], skipped: {} };
    for (const obj of page.objects) {
      const c = classifyObject(options.bucket, obj);
      if ('file' in c) out.files.push(c.file);
      else addSkip(out.skipped, c.skip);
    }
    const last = page.objects[page.objects.length - 1];
    if (last) out.lastKey = last.key;
    yield out;
  }
}
