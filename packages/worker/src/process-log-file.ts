import type { S3Client } from '@aws-sdk/client-s3';
import type { BulkStats, SharedBulkWriter } from '@trailscope/indexer';
import { parseLogFileBatches } from '@trailscope/parser';
import type { IngestJobData } from '@trailscope/queue';
import type { Config, Logger } from '@trailscope/runtime';
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
 */
export async function processLogFile(deps: ProcessDeps, job: IngestJobData): Promise<FileResult> {
  const { config } = deps;
  const obj = await openObject(deps.s3, job.bucket, job.key, { maxObjectBytes: config.ingest.maxObjectBytes });
  const writer = deps.writer.session();
  const source = { bucket: job.bucket, key: job.key, etag: job.etag, kind: job.kind, account: job.account, region: job.region, orgId: job.orgId };
  const ingestedAt = new Date().toISOString();
  let stats: BulkStats;
  try {
    // Batches (the records of one decompressed chunk) rather than one item per generator step: the per-item await of
    // the async generator was a measurable share of parsing.
    for await (const batch of parseLogFileBatches(obj.body, source, { maxObjectBytes: config.ingest.maxObjectBytes, ingestedAt })) {
      for (const item of batch) {
        if (item.ok) await writer.add(item.id, item.doc);
        else await writer.deadLetter({ raw: item.raw, code: item.code, reason: item.reason, bucket: job.bucket, key: job.key, etag: job.etag });
      }
    }
    stats = await writer.flush();
  } finally {
    writer.close();
  }
  return { events: stats.indexed, duplicates: stats.duplicates, deadLettered: stats.deadLettered, conflicts: stats.conflicts, retried: stats.retried, bytes: stats.bytes };
}
