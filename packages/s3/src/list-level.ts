import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { toS3Error } from './s3-error';
import { stripEtag, type S3ObjectSummary } from './object-ref';

export interface ListPage {
  /** Sub-folders one level below the prefix (only with a delimiter). */
  prefixes: string[];
  objects: S3ObjectSummary[];
}

export interface ListOptions {
  bucket: string;
  prefix: string;
  /** Only keys (and folders) that sort after this string; S3 compares UTF-8 bytes. */
  startAfter?: string;
  delimiter?: string;
  pageSize?: number;
}

async function fetchPage(s3: S3Client, options: ListOptions, token: string | undefined): Promise<{ page: ListPage; next?: string }> {
  let out;
  try {
    out = await s3.send(
      new ListObjectsV2Command({
        Bucket: options.bucket,
        Prefix: options.prefix,
        Delimiter: options.delimiter,
        StartAfter: token ? undefined : options.startAfter || undefined,
        ContinuationToken: token,
        MaxKeys: options.pageSize,
      }),
    );
  } catch (err) {
    throw toS3Error(err, { bucket: options.bucket, key: options.prefix, operation: 'ListObjectsV2' });
  }
  return {
    page: {
      prefixes: (out.CommonPrefixes ?? []).map((p) => p.Prefix ?? '').filter((p) => p !== ''),
      objects: (out.Contents ?? []).map((o) => ({ key: o.Key ?? '', size: o.Size ?? 0, etag: stripEtag(o.ETag) })),
    },
    next: out.IsTruncated ? out.NextContinuationToken : undefined,
  };
}

/**
 * One ListObjectsV2 sequence, page by page. Pages are yielded as they arrive so a caller holds at most one page
 * (1,000 keys) of a listing in memory, whatever the size of the bucket; the SDK's own copy of a page is dropped
 * before the page is yielded.
 */
export async function* listPages(s3: S3Client, options: ListOptions): AsyncGenerator<ListPage> {
  let token: string | undefined;
  do {
    const { page, next } = await fetchPage(s3, options, token);
    token = next;
    yield page;
  } while (token);
}

/** The sub-folders and objects one level below `prefix` (Delimiter "/"). */
export async function listLevel(
  s3: S3Client,
  options: Omit<ListOptions, 'delimiter'>,
): Promise<ListPage> {
  const all: ListPage = { prefixes: [], objects: [] };
  for await (const page of listPages(s3, { ...options, delimiter: '/' })) {
    all.prefixes.push(...page.prefixes);
    all.objects.push(...page.objects);
  }
  return all;
}
