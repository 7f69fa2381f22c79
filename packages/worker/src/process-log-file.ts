import type { S3Client } from '@aws-sdk/client-s3';
import { createBulkWriter } from '@trailscope/indexer';
import { parseLogFile } from '@trailscope/parser';
import type { IngestJobData } from '@trailscope/queue';
import type { Config, Logger, OpenSearchClient } from '@trailscope/runtime';
import { openObject } from '@trailscope/s3';

export interface FileResult {
  /** Documents created by this job. */
  events: number;
  /** Documents that already existed (a replay, a duplicate delivery). */
  duplicates: number;
  deadLettered: number;
  /** Bulk items retried after throttling or server errors. */
  retried: number;
  /** Uncompressed bulk payload bytes sent. */
  bytes: number;
  /** The file was already fully indexed by an earlier job; nothing was read. */
  alreadyIndexed?: boolean;
}

export interface ProcessDeps {
  s3: S3Client;
  opensearch: OpenSearchClient;
  config: Config;
  logger: Logger;
}

/**
 * One log file, streamed end to end: S3 body → parser → bulk writer. Resolves only after every record is acknowledged
 * by OpenSearch or dead-lettered. On a file-level error nothing more is flushed and the error propagates with its
 * code (the caller decides retry or permanent failure); documents already flushed stay, and a retry overwrites
 * nothing because every write is a create with a deterministic id.
 */
export async function processLogFile(deps: ProcessDeps, job: IngestJobData): Promise<FileResult> {
  const { config } = deps;
  const obj = await openObject(deps.s3, job.bucket, job.key, { maxObjectBytes: config.ingest.maxObjectBytes });
  const writer = createBulkWriter({ client: deps.opensearch, config, logger: deps.logger });
  const source = { bucket: job.bucket, key: job.key, etag: job.etag, kind: job.kind, account: job.account, region: job.region, orgId: job.orgId };
  const ingestedAt = new Date().toISOString();
  for await (const item of parseLogFile(obj.body, source, { maxObjectBytes: config.ingest.maxObjectBytes, ingestedAt })) {
    if (item.ok) await writer.add(item.id, item.doc);
    else await writer.deadLetter({ raw: item.raw, code: item.code, reason: item.reason, bucket: job.bucket, key: job.key, etag: job.etag });
  }
  const stats = await writer.flush();
  return { events: stats.indexed, duplicates: stats.duplicates, deadLettered: stats.deadLettered, retried: stats.retried, bytes: stats.bytes };
}
