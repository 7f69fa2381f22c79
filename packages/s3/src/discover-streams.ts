import type { S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { normalizePrefix } from '@trailscope/model';
import { listLevel } from './list-level';
import { classifyObject } from './classify-object';
import { addSkip, type SkipCounts } from './object-ref';
import { KIND_FOLDERS, streamRoot, type LogStream } from './log-stream';

export interface DiscoverOptions {
  bucket: string;
  prefix?: string;
  /** Only these accounts (12 digits); all when empty. */
  accounts?: string[];
  /** Only these regions; all when empty. */
  regions?: string[];
  /** Stream kinds to return; digests are listed only so that they can be counted as skipped. */
  kinds?: Array<LogStream['kind']>;
  /** Parallel listings (config.ingest.listConcurrency). */
  concurrency?: number;
}

export interface Discovery {
  streams: LogStream[];
  /** Objects met at the folder levels themselves (zero-byte folder keys, readme files...). */
  skipped: SkipCounts;
}

const ACCOUNT_RE = /^\d{12}$/;
const ORG_RE = /^o-[a-z0-9]{10,32}$/;

function lastSegment(prefix: string): string {
  const parts = prefix.split('/');
  return parts[parts.length - 2] ?? '';
}

/**
 * Finds every account (plain or under an organization id) and region of a trail bucket by Delimiter listings, a
 * few requests per account, so that the streams can then be listed in parallel rather than in one sequence over the
 * whole bucket.
 */
export async function discoverStreams(s3: S3Client, options: DiscoverOptions): Promise<Discovery> {
  const { bucket } = options;
  const prefix = normalizePrefix(options.prefix);
  const kinds = options.kinds ?? ['log', 'insight', 'digest'];
  const accounts = new Set(options.accounts ?? []);
  const regions = new Set(options.regions ?? []);
  const limit = pLimit(options.concurrency ?? 8);
  const skipped: SkipCounts = {};
  const countObjects = (objects: Array<{ key: string; size: number; etag: string }>) => {
    for (const o of objects) {
      const c = classifyObject(bucket, o);
      // A log file directly at a folder level cannot happen with CloudTrail's layout; count it as foreign.
      addSkip(skipped, 'skip' in c ? c.skip : 'not-cloudtrail');
    }
  };

  const top = await listLevel(s3, { bucket, prefix: `${prefix}AWSLogs/` });
  countObjects(top.objects);
  const accountRoots: Array<{ orgId?: string; account: string }> = [];
  const orgLevels = await Promise.all(
    top.prefixes
      .filter((p) => ORG_RE.test(lastSegment(p)))
      .map((p) => limit(async () => ({ orgId: lastSegment(p), level: await listLevel(s3, { bucket, prefix: p }) }))),
  );
  for (const p of top.prefixes) {
    const seg = lastSegment(p);
    if (ACCOUNT_RE.test(seg)) accountRoots.push({ account: seg });
  }
  for (const { orgId, level } of orgLevels) {
    countObjects(level.objects);
    for (const p of level.prefixes) {
      const seg = lastSegment(p);
      if (ACCOUNT_RE.test(seg)) accountRoots.push({ orgId, account: seg });
    }
  }

  const wanted = accountRoots.filter((a) => accounts.size === 0 || accounts.has(a.account));
  const perAccount = await Promise.all(
    wanted.map((a) =>
      limit(async () => {
        const base = `${prefix}AWSLogs/${a.orgId ? `${a.orgId}/` : ''}${a.account}/`;
        const level = await listLevel(s3, { bucket, prefix: base });
        return { a, base, level };
      }),
    ),
  );
  const kindListings: Array<Promise<LogStream[]>> = [];
  for (const { a, base, level } of perAccount) {
    countObjects(level.objects);
    for (const kind of kinds) {
      const folder = `${base}${KIND_FOLDERS[kind]}/`;
      if (!level.prefixes.includes(folder)) continue;
      kindListings.push(
        limit(async () => {
          const regionLevel = await listLevel(s3, { bucket, prefix: folder });
          countObjects(regionLevel.objects);
          return regionLevel.prefixes
            .map(lastSegment)
            .filter((region) => regions.size === 0 || regions.has(region))
            .map((region) => {
              const s: Omit<LogStream, 'root'> = { prefix, account: a.account, kind, region };
              if (a.orgId) s.orgId = a.orgId;
              return { ...s, root: streamRoot(s) };
            });
        }),
      );
    }
  }
  const streams = (await Promise.all(kindListings)).flat();
  streams.sort((x, y) => (x.root < y.root ? -1 : x.root > y.root ? 1 : 0));
  return { streams, skipped };
}
