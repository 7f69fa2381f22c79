import { createHash } from 'node:crypto';
import { indexNameFor, TrailscopeError, type EventDoc } from '@trailscope/model';
import type { Config, Logger, OpenSearchClient } from '@trailscope/runtime';
import { backoffDelayMs, sleep } from './backoff';
import { classifyBulkResponse, type BulkResponseBody } from './bulk-outcome';
import type { DeadLetterDoc, DeadLetterEntry } from './dead-letter-index';
import { errorFacts, isTransient, toOpenSearchError } from './opensearch-error';

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

export interface BulkWriterOptions {
  client: OpenSearchClient;
  config: Pick<Config, 'names' | 'namespace' | 'index' | 'ingest'>;
  logger: Logger;
  /**
   * How long one batch may keep failing transiently (cluster down, 429, 5xx) before OPENSEARCH_UNAVAILABLE (a
   * retryable error) ends the writer. Long enough to ride out a node restart.
   */
  maxRetryMs?: number;
  /** Attempts of one batch whose items keep being throttled while the cluster answers. */
  maxItemAttempts?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** Passed to _bulk; tests use `wait_for` to read their writes. */
  refresh?: 'true' | 'false' | 'wait_for';
  now?: () => Date;
}

interface Entry {
  /** The action line and the source line, newline-terminated: the NDJSON sent. */
  line: string;
  bytes: number;
  target: 'event' | 'deadletter';
  /** For an event that OpenSearch may reject into the dead-letter index. */
  raw?: string;
  ingest?: EventDoc['ingest'];
}

const FILTER_PATH = [
  'errors',
  'items.*.status',
  'items.*.error.type',
  'items.*.error.reason',
  'items.*.error.caused_by.type',
  'items.*.error.caused_by.reason',
].join(',');

export const DEFAULT_MAX_RETRY_MS = 10 * 60_000;

/**
 * Buffers documents into `_bulk` requests flushed by bytes and count, with bounded concurrency. Every write is a
 * `create` with a deterministic _id into the index of the document's eventTime, so replays are counted as duplicates
 * and never overwrite. Each item's result is classified (bulk-outcome.ts): throttled and failing items are retried
 * with exponential backoff and jitter, refused documents go to the dead-letter index with the reason.
 */
export function createBulkWriter(options: BulkWriterOptions): BulkWriter {
  const { client, config, logger } = options;
  const { bulkFlushBytes, bulkFlushDocs, bulkConcurrency } = config.ingest;
  const maxRetryMs = options.maxRetryMs ?? DEFAULT_MAX_RETRY_MS;
  const maxItemAttempts = options.maxItemAttempts ?? 30;
  const baseMs = options.backoffBaseMs ?? 200;
  const capMs = options.backoffCapMs ?? 10_000;
  const now = options.now ?? (() => new Date());
  const deadLetterAction = `{"create":{"_index":${JSON.stringify(config.names.deadLetterIndex)},"_id":`;

  const totals: BulkStats = { indexed: 0, duplicates: 0, deadLettered: 0, retried: 0, bytes: 0 };
  let buffer: Entry[] = [];
  let bufferBytes = 0;
  const outstanding = new Set<Promise<void>>();
  let running = 0;
  const slotWaiters: Array<() => void> = [];
  let failure: unknown;

  function push(entry: Entry): void {
    buffer.push(entry);
    bufferBytes += entry.bytes;
  }

  function deadLetterEntry(entry: DeadLetterEntry): Entry {
    const doc: DeadLetterDoc = { ...entry, at: now().toISOString() };
    const id = createHash('sha256').update(`${entry.bucket}\n${entry.key}\n${entry.etag}\n${entry.raw}`, 'utf8').digest('hex');
    const line = `${deadLetterAction}"${id}"}}\n${JSON.stringify(doc)}\n`;
    return { line, bytes: Buffer.byteLength(line, 'utf8'), target: 'deadletter' };
  }

  async function acquire(): Promise<void> {
    if (running < bulkConcurrency) {
      running++;
      return;
    }
    await new Promise<void>((resolve) => slotWaiters.push(resolve));
  }

  function release(): void {
    const next = slotWaiters.shift();
    if (next) next();
    else running--;
  }

  function record(entry: Entry, outcome: ReturnType<typeof classifyBulkResponse>[number], retry: Entry[]): void {
    switch (outcome.kind) {
      case 'created':
      case 'duplicate':
        if (entry.target === 'deadletter') totals.deadLettered++;
        else if (outcome.kind === 'created') totals.indexed++;
        else totals.duplicates++;
        return;
      case 'retry':
        retry.push(entry);
        return;
      case 'deadletter':
        if (entry.target === 'event' && entry.raw !== undefined && entry.ingest) {
          logger.warn({ key: entry.ingest.key, reason: outcome.reason }, 'OpenSearch refused a document, dead-lettering it');
          const { bucket, key, etag } = entry.ingest;
          push(deadLetterEntry({ raw: entry.raw, code: 'OPENSEARCH_REJECTED', reason: outcome.reason, bucket, key, etag }));
          return;
        }
        throw new TrailscopeError('OPENSEARCH_REJECTED', `OpenSearch refused a dead-letter record in ${config.names.deadLetterIndex}: ${outcome.reason}`);
      case 'fatal':
        throw new TrailscopeError('OPENSEARCH_REJECTED', `OpenSearch refused a bulk write (HTTP ${outcome.status}): ${outcome.reason}`, {
          context: { status: outcome.status, type: outcome.type },
        });
    }
  }

  async function send(batch: Entry[]): Promise<void> {
    let pending = batch;
    let attempt = 0;
    let failingSince: number | undefined;
    while (pending.length > 0) {
      let body = '';
      let bytes = 0;
      for (const e of pending) {
        body += e.line;
        bytes += e.bytes;
      }
      totals.bytes += bytes;
      let response: BulkResponseBody | undefined;
      let problem = '';
      try {
        const res = await client.transport.request({
          method: 'POST',
          path: '/_bulk',
          querystring: { filter_path: FILTER_PATH, ...(options.refresh ? { refresh: options.refresh } : {}) },
          bulkBody: body,
        });
        response = res.body as BulkResponseBody;
      } catch (err) {
        const facts = errorFacts(err);
        if (!isTransient(facts) && facts.type !== 'cluster_block_exception') {
          throw toOpenSearchError(err, `a bulk write of ${pending.length} documents`);
        }
        problem = facts.connection ? `no answer: ${(err as Error).message}` : `HTTP ${facts.statusCode}: ${facts.reason ?? ''}`;
      }
      let retry: Entry[] = pending;
      if (response) {
        retry = [];
        const outcomes = classifyBulkResponse(response, pending.length);
        for (let i = 0; i < pending.length; i++) record(pending[i] as Entry, outcomes[i] as (typeof outcomes)[number], retry);
        if (retry.length === 0) return;
        const first = outcomes.find((o) => o.kind === 'retry');
        problem = first && first.kind === 'retry' ? `HTTP ${first.status}: ${first.reason}` : 'throttled';
        // Progress restarts the budget: only a batch that keeps failing as a whole is given up on.
        if (retry.length < pending.length) {
          attempt = 0;
          failingSince = undefined;
        }
      }
      attempt++;
      const t = Date.now();
      failingSince ??= t;
      const exhausted = t - failingSince >= maxRetryMs || (response !== undefined && attempt >= maxItemAttempts);
      if (exhausted) {
        logger.error({ attempt, documents: retry.length, problem: problem }, 'OpenSearch kept failing, giving up on this batch');
        throw new TrailscopeError(
          'OPENSEARCH_UNAVAILABLE',
          `OpenSearch kept failing a bulk write of ${retry.length} documents for ${Math.round((t - failingSince) / 1000)} s (${attempt} attempts): ${problem}`,
        );
      }
      if (attempt === 1 || attempt % 10 === 0) {
        logger.warn({ attempt, documents: retry.length, problem: problem }, 'bulk write failed transiently, retrying');
      }
      totals.retried += retry.length;
      await sleep(backoffDelayMs(attempt, baseMs, capMs));
      // Another batch already failed the writer: stop retrying for nobody.
      if (failure !== undefined) throw failure;
      pending = retry;
    }
  }

  async function dispatch(): Promise<void> {
    if (buffer.length === 0) return;
    const batch = buffer;
    buffer = [];
    bufferBytes = 0;
    const task: Promise<void> = (async () => {
      await acquire();
      try {
        if (failure === undefined) await send(batch);
      } finally {
        release();
      }
    })()
      .catch((err: unknown) => {
        failure ??= err;
      })
      .finally(() => outstanding.delete(task));
    outstanding.add(task);
    // Backpressure: at most `bulkConcurrency` requests in flight plus one batch waiting for a slot.
    while (outstanding.size > bulkConcurrency) await Promise.race(outstanding);
  }

  async function enqueue(entry: Entry): Promise<void> {
    if (failure !== undefined) throw failure;
    push(entry);
    if (buffer.length >= bulkFlushDocs || bufferBytes >= bulkFlushBytes) await dispatch();
  }

  // indexNameFor parses a Date per call; documents of one file share a few UTC days, so cache by the date part of
  // canonical `YYYY-MM-DDT...Z` times (the parser's output) and fall back to indexNameFor for any other spelling.
  const indexByDay = new Map<string, string>();
  function indexOf(eventTime: string): string {
    if (eventTime.length < 20 || eventTime.charCodeAt(10) !== 0x54 || !eventTime.endsWith('Z')) {
      return indexNameFor(eventTime, config.namespace, config.index.period);
    }
    const day = eventTime.slice(0, 10);
    let index = indexByDay.get(day);
    if (index === undefined) {
      index = indexNameFor(eventTime, config.namespace, config.index.period);
      if (indexByDay.size > 1000) indexByDay.clear();
      indexByDay.set(day, index);
    }
    return index;
  }

  return {
    async add(id: string, doc: EventDoc): Promise<void> {
      const index = indexOf(doc.eventTime);
      const line = `{"create":{"_index":"${index}","_id":${JSON.stringify(id)}}}\n${JSON.stringify(doc)}\n`;
      await enqueue({ line, bytes: Buffer.byteLength(line, 'utf8'), target: 'event', raw: doc.raw, ingest: doc.ingest });
    },
    async deadLetter(entry: DeadLetterEntry): Promise<void> {
      await enqueue(deadLetterEntry(entry));
    },
    async flush(): Promise<BulkStats> {
      for (;;) {
        if (failure !== undefined) throw failure;
        if (buffer.length > 0) await dispatch();
        // Any batch settling re-checks for a failure, so one that failed is reported without waiting out the others.
        else if (outstanding.size > 0) await Promise.race(outstanding);
        else break;
      }
      if (failure !== undefined) throw failure;
      return { ...totals };
    },
    stats(): BulkStats {
      return { ...totals };
    },
  };
}
