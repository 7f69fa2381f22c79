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
  /** Items sent again after throttling or a server error. */
  retried: number;
  /** Bulk request body bytes sent, retries included. */
  bytes: number;
}

export interface BulkWriter {
  /** Queues a document for `create` with this _id; resolves once there is room (backpressure). */
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
  now?: () => Date;
}
