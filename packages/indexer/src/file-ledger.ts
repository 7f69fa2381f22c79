import { createHash } from 'node:crypto';
import type { Config, OpenSearchClient } from '@trailscope/runtime';
import { toOpenSearchError } from '@trailscope/runtime';

export const FILE_STATUSES = ['indexed', 'partial', 'failed'] as const;
export type FileStatus = (typeof FILE_STATUSES)[number];

/**
 * What one ingested log file contributed to the index: the evidence that lets `validate --index` prove every file
 * CloudTrail delivered is indexed unchanged. One entry per (bucket, key, etag): an object overwritten in S3 and
 * ingested again gets a second entry, so the ledger keeps what each version held.
 */
export interface FileLedgerEntry {
  id: string;
  bucket: string;
  key: string;
  etag: string;
  /** Compressed bytes read from S3. */
  size: number;
  /** Hex SHA-256 of the uncompressed content, the hash CloudTrail's digest files list. */
  sha256: string;
  account?: string;
  region?: string;
  orgId?: string;
  /** Records in the file's Records array (documents and records refused by the parser). */
  recordsRead: number;
  documentsCreated: number;
  duplicates: number;
  deadLettered: number;
  conflicts: number;
  firstEventTime?: string;
  lastEventTime?: string;
  /** The event indices its events belong to by eventTime. */
  indices: string[];
  ingestedAt: string;
  /** `indexed`: every record read is accounted for; `partial`: some are not; `failed`: the file failed permanently. */
  status: FileStatus;
  /** For a failed file: the error code and message. */
  errorCode?: string;
  error?: string;
}

const keyword = { type: 'keyword' } as const;

export function filesIndexBody(config: Pick<Config, 'index'>): Record<string, unknown> {
  return {
    settings: { index: { number_of_shards: 1, number_of_replicas: config.index.replicas } },
    mappings: {
      dynamic: false,
      _meta: { managed_by: 'trailscope' },
      properties: {
        id: keyword,
        bucket: keyword,
        key: { type: 'keyword', ignore_above: 1024 },
        etag: keyword,
        size: { type: 'long' },
        sha256: keyword,
        account: keyword,
        region: keyword,
        orgId: keyword,
        recordsRead: { type: 'long' },
        documentsCreated: { type: 'long' },
        duplicates: { type: 'long' },
        deadLettered: { type: 'long' },
        conflicts: { type: 'long' },
        firstEventTime: { type: 'date' },
        lastEventTime: { type: 'date' },
        indices: keyword,
        ingestedAt: { type: 'date' },
        status: keyword,
        errorCode: keyword,
      },
    },
  };
}

/** The ledger id of a file version: deterministic, so a replayed job overwrites its own entry. */
export function ledgerEntryId(bucket: string, key: string, etag: string): string {
  return createHash('sha256').update(`${bucket}\n${key}\n${etag}`).digest('hex');
}

/** Whether every record read is accounted for by a created document, a duplicate, a dead letter or a conflict. */
export function isAccounted(e: Pick<FileLedgerEntry, 'recordsRead' | 'documentsCreated' | 'duplicates' | 'deadLettered' | 'conflicts'>): boolean {
  return e.recordsRead === e.documentsCreated + e.duplicates + e.deadLettered + e.conflicts;
}

/** Writes (or overwrites) a file's ledger entry. */
export async function writeLedgerEntry(client: OpenSearchClient, config: Pick<Config, 'names'>, entry: Omit<FileLedgerEntry, 'id'>): Promise<FileLedgerEntry> {
  const doc: FileLedgerEntry = { id: ledgerEntryId(entry.bucket, entry.key, entry.etag), ...entry };
  const index = config.names.filesIndex;
  try {
    await client.transport.request({ method: 'PUT', path: `/${encodeURIComponent(index)}/_doc/${doc.id}`, body: doc });
  } catch (err) {
    throw toOpenSearchError(err, `writing the ledger entry of s3://${entry.bucket}/${entry.key} to ${index}`);
  }
  return doc;
}
