import type { EventDoc } from '@trailscope/model';
import type { Config, Logger, OpenSearchClient } from '@trailscope/runtime';
import type { DeadLetterEntry } from './dead-letter-index';

export interface BulkStats {
  /** Documents created. */
  indexed: number;
  /** Documents whose _id already existed (409 on create): replays and duplicate deliveries. */
  duplicates: number;
  /** Records stored in the dead-letter index (by the caller, or after OpenSearch refused them). */
  deadLettered: number;
  /** Copies of an event id already stored with different content, kept in the conflicts index. */
  conflicts: number;
  /** Items sent again after throttling or a server error. */
  retried: number;
  /** Bulk request body bytes sent, retries included. */
  bytes: number;
}

export interface BulkWriter {
  /**
   * Queues a document for `create` with this _id, unless the id is stored already anywhere in the namespace (a
   * duplicate, or a conflict when the raw text differs); resolves once there is room (backpressure).
   */
  add(id: string, doc: EventDoc): Promise<void>;
  /** Queues a record for the dead-letter index. */
  deadLetter(entry: DeadLetterEntry): Promise<void>;
  /** Resolves when every document added so far is acknowledged or dead-lettered; rejects with the first failure. */
  flush(): Promise<BulkStats>;
  stats(): BulkStats;
}

/** One job's share of a shared writer: its own documents, completion, failure and stats. */
export interface BulkWriterSession extends BulkWriter {
  /**
   * Ends the session. Documents it added that are not in a request yet are dropped (the job failed and will be
   * retried; every write is an idempotent create), so a failed job leaves nothing behind for the others to send.
   */
  close(): void;
}

export interface BulkWriterOptions {
  client: OpenSearchClient;
  config: Pick<Config, 'names' | 'namespace' | 'index' | 'ingest'>;
  logger: Logger;
  /**
   * How long one batch may keep failing transiently (cluster down, 429, 5xx) before OPENSEARCH_UNAVAILABLE (a
   * retryable error) fails the sessions with documents in it. Long enough to ride out a node restart.
   */
  maxRetryMs?: number;
  /** Attempts of one batch whose items keep being throttled while the cluster answers. */
  maxItemAttempts?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /**
   * How long a flushing session's partial batch may wait for other sessions that are still adding, so that
   * concurrent small files share one bulk request instead of one request each. 0 sends at once.
   */
  lingerMs?: number;
  /** Passed to _bulk; tests use `wait_for` to read their writes. */
  refresh?: 'true' | 'false' | 'wait_for';
  /** The clock of the retry budget and of dead-letter and conflict timestamps. */
  now?: () => Date;
  /** Aborted on shutdown: a batch waiting to retry stops waiting and fails its sessions with a retryable error. */
  signal?: AbortSignal;
  /**
   * Claim every event id in the event-id index before creating it, keeping ids unique across indices (default).
   * `false` only measures what the claim costs (the bench); without it a copy bound for another index is stored again.
   */
  uniqueIds?: boolean;
}
