import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { isAccounted, writeLedgerEntry, type BulkStats, type SharedBulkWriter } from '@trailscope/indexer';
import { errorCodeOf, errorMessageOf, indexNameFor, isRetryable } from '@trailscope/model';
import { newParseStats, parseLogFileBatches } from '@trailscope/parser';
import type { IngestJobData } from '@trailscope/queue';
import type { Config, Logger, OpenSearchClient } from '@trailscope/runtime';
import { openObject } from '@trailscope/s3';

export interface FileResult {
  /** Documents created by this job. */
  events: number;
  /** Documents that already existed (a replay, a duplicate delivery). */
  duplicates: number;
  deadLettered: number;
  /** Copies of an event id already stored with different content, kept as conflicts (`trailscope conflicts`). */
  conflicts: number;
  /** Bulk items retried after throttling or server errors. */
  retried: number;
  /** Uncompressed bulk payload bytes sent. */
  bytes: number;
  /** The file was already fully indexed by an earlier job; nothing was read. */
  alreadyIndexed?: boolean;
}

export interface ProcessDeps {
  s3: S3Client;
  /** Where the file's ledger entry is written. */
  opensearch: OpenSearchClient;
  /** The worker process's writer: its concurrent jobs share bulk requests, each completing on its own documents. */
  writer: SharedBulkWriter;
  config: Config;
  logger: Logger;
}

/**
 * One log file, streamed end to end: S3 body → parser → its session of the shared bulk writer. Resolves only after
 * every record of this file is acknowledged by OpenSearch or dead-lettered (other jobs' documents in the same bulk
 * requests do not hold it up, nor can their failures fail it). On a file-level error its documents not yet sent are
 * dropped and the error propagates with its code (the caller decides retry or permanent failure); documents already
 * sent stay, and a retry overwrites nothing because every write is a create with a deterministic id, claimed
 * store-wide first.
 *
 * Once every record is accounted for, the file's ledger entry is written (SHA-256 of the uncompressed bytes, hashed
 * while parsing, and what became of its records), before the caller marks the file done: a crash in between replays
 * the file, which rewrites the same entry.
 */
export async function processLogFile(deps: ProcessDeps, job: IngestJobData): Promise<FileResult> {
  try {
    return await readAndIndex(deps, job);
  } catch (err) {
    // a file that will not be retried is in the ledger too, so that `trailscope files --status failed` lists it
    if (!isRetryable(err)) await recordFailure(deps, job, err);
    throw err;
  }
}

async function recordFailure(deps: ProcessDeps, job: IngestJobData, err: unknown): Promise<void> {
  try {
    await writeLedgerEntry(deps.opensearch, deps.config, {
      bucket: job.bucket,
      key: job.key,
      etag: job.etag,
      size: job.size,
      sha256: '',
      account: job.account,
      region: job.region,
      ...(job.orgId ? { orgId: job.orgId } : {}),
      recordsRead: 0,
      documentsCreated: 0,
      duplicates: 0,
      deadLettered: 0,
      conflicts: 0,
      indices: [],
      ingestedAt: new Date().toISOString(),
      status: 'failed',
      errorCode: errorCodeOf(err),
      error: errorMessageOf(err),
    });
  } catch (ledgerErr) {
    deps.logger.warn({ err: ledgerErr, bucket: job.bucket, key: job.key }, 'the ledger entry of a failed file could not be written');
  }
}

async function readAndIndex(deps: ProcessDeps, job: IngestJobData): Promise<FileResult> {
  const { config } = deps;
  const obj = await openObject(deps.s3, job.bucket, job.key, { maxObjectBytes: config.ingest.maxObjectBytes });
  const writer = deps.writer.session();
  const source = { bucket: job.bucket, key: job.key, etag: job.etag, kind: job.kind, account: job.account, region: job.region, orgId: job.orgId };
  const ingestedAt = new Date().toISOString();
  const hash = createHash('sha256');
  const parseStats = newParseStats();
  const indices = new Set<string>();
  let firstMs = Number.POSITIVE_INFINITY;
  let lastMs = Number.NEGATIVE_INFINITY;
  let stats: BulkStats;
  try {
    // Batches (the records of one decompressed chunk) rather than one item per generator step: the per-item await of
    // the async generator was a measurable share of parsing.
    for await (const batch of parseLogFileBatches(obj.body, source, { maxObjectBytes: config.ingest.maxObjectBytes, ingestedAt, stats: parseStats, hash })) {
      for (const item of batch) {
        if (item.ok) {
          const ms = Date.parse(item.doc.eventTime);
          if (ms < firstMs) firstMs = ms;
          if (ms > lastMs) lastMs = ms;
          indices.add(indexNameFor(item.doc.eventTime, config.namespace, config.index.period));
          await writer.add(item.id, item.doc);
        } else await writer.deadLetter({ raw: item.raw, code: item.code, reason: item.reason, bucket: job.bucket, key: job.key, etag: job.etag });
      }
    }
    stats = await writer.flush();
  } finally {
    writer.close();
  }
  const counts = {
    recordsRead: parseStats.records + parseStats.rejected,
    documentsCreated: stats.indexed,
    duplicates: stats.duplicates,
    deadLettered: stats.deadLettered,
    conflicts: stats.conflicts,
  };
  await writeLedgerEntry(deps.opensearch, config, {
    bucket: job.bucket,
    key: job.key,
    etag: job.etag,
    size: parseStats.compressedBytes,
    sha256: hash.digest('hex'),
    account: job.account,
    region: job.region,
    ...(job.orgId ? { orgId: job.orgId } : {}),
    ...counts,
    ...(firstMs <= lastMs ? { firstEventTime: new Date(firstMs).toISOString(), lastEventTime: new Date(lastMs).toISOString() } : {}),
    indices: [...indices].sort(),
    ingestedAt,
    status: isAccounted(counts) ? 'indexed' : 'partial',
  });
  return { events: stats.indexed, duplicates: stats.duplicates, deadLettered: stats.deadLettered, conflicts: stats.conflicts, retried: stats.retried, bytes: stats.bytes };
}
