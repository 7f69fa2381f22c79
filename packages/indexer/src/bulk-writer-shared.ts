import { TrailscopeError, type EventDoc } from '@trailscope/model';
import { BulkBatcher } from './bulk-batcher';
import { createBatchSender } from './bulk-batch-sender';
import { eventAction, type BulkEntry } from './bulk-entry';
import { BulkLedger } from './bulk-ledger';
import type { BulkStats, BulkWriterOptions, BulkWriterSession } from './bulk-writer-types';
import type { BulkSessionState } from './bulk-writer-session';
import { sha256Hex } from './content-hash';
import { deadLetterEntry } from './dead-letter-entry';
import type { DeadLetterEntry } from './dead-letter-index';
import { createIndexNameCache } from './index-name-cache';

export interface SharedBulkWriter {
  /** A new session (one per job): documents of all sessions share the writer's bulk requests. */
  session(): BulkWriterSession;
  /** Totals over every session so far. */
  stats(): BulkStats;
}

export const DEFAULT_MAX_RETRY_MS = 10 * 60_000;
export const DEFAULT_LINGER_MS = 50;

/**
 * Buffers the documents of any number of sessions into `_bulk` requests flushed by bytes and count, with bounded
 * concurrency, so a worker's concurrent jobs fill full-size requests whatever their file sizes (bulk-batcher.ts).
 * Every event id is claimed store-wide before its document is created (event-id-index.ts), so a replay or a copy
 * bound for another period's index is counted as a duplicate and never overwrites, and a copy with other content
 * is kept as a conflict. Each item's result is classified (bulk-outcome.ts) and credited to the session that added
 * it (bulk-ledger.ts): throttled and failing items are retried with backoff (bulk-retry.ts), refused documents go
 * to the dead-letter index with the reason (bulk-batch-sender.ts). A batch that keeps failing fails exactly the
 * sessions with documents in it; the writer carries on for the others.
 */
export function createSharedBulkWriter(options: BulkWriterOptions): SharedBulkWriter {
  const { client, config, logger } = options;
  const { bulkFlushBytes, bulkFlushDocs, bulkConcurrency } = config.ingest;
  const now = options.now ?? (() => new Date());
  const ledger = new BulkLedger();
  const indexOf = createIndexNameCache(config);

  const send = createBatchSender({
    client,
    names: config.names,
    logger,
    ledger,
    queue: (entry) => batcher.push(entry),
    uniqueIds: options.uniqueIds ?? true,
    refresh: options.refresh,
    retry: {
      maxRetryMs: options.maxRetryMs ?? DEFAULT_MAX_RETRY_MS,
      maxItemAttempts: options.maxItemAttempts ?? 30,
      backoffBaseMs: options.backoffBaseMs ?? 200,
      backoffCapMs: options.backoffCapMs ?? 10_000,
      now,
      signal: options.signal,
    },
  });
  const batcher: BulkBatcher = new BulkBatcher({
    flushDocs: bulkFlushDocs,
    flushBytes: bulkFlushBytes,
    concurrency: bulkConcurrency,
    lingerMs: options.lingerMs ?? DEFAULT_LINGER_MS,
    ledger,
    send,
  });

  async function enqueue(s: BulkSessionState, entry: BulkEntry): Promise<void> {
    if (s.failure !== undefined) throw s.failure;
    if (s.closed) throw new TrailscopeError('INTERNAL', 'a bulk writer session was used after close()');
    ledger.setAdding(s, true);
    await batcher.add(entry);
  }

  function session(): BulkWriterSession {
    const s = ledger.open();
    return {
      async add(id: string, doc: EventDoc): Promise<void> {
        const index = indexOf(doc.eventTime);
        const source = JSON.stringify(doc);
        await enqueue(s, {
          target: 'event',
          owner: s,
          bytes: Buffer.byteLength(source, 'utf8') + Buffer.byteLength(eventAction(index, id), 'utf8') + 1,
          id,
          index,
          source,
          sha256: sha256Hex(doc.raw),
          raw: doc.raw,
          ingest: doc.ingest,
          claimed: false,
        });
      },
      async deadLetter(entry: DeadLetterEntry): Promise<void> {
        await enqueue(s, deadLetterEntry(config.names.deadLetterIndex, entry, s, now()));
      },
      async flush(): Promise<BulkStats> {
        ledger.setAdding(s, false);
        // The last session to stop adding sends the batch others are lingering on.
        if (ledger.addingSessions === 0 && batcher.lingering) await batcher.dispatch();
        for (;;) {
          if (s.failure !== undefined) throw s.failure;
          if (s.pending === 0) return { ...s.stats };
          const changed = s.changed();
          if (s.buffered > 0) await batcher.flushPartial();
          await changed;
        }
      },
      stats(): BulkStats {
        return { ...s.stats };
      },
      close(): void {
        if (s.closed) return;
        ledger.setAdding(s, false);
        s.closed = true;
        if (s.buffered > 0) {
          batcher.drop(s);
          s.buffered = 0;
        }
        s.notify();
        // The others' partial batch need not wait for a session that will add nothing more.
        if (ledger.addingSessions === 0 && !batcher.empty) void batcher.dispatch();
      },
    };
  }

  return { session, stats: () => ({ ...ledger.totals }) };
}
