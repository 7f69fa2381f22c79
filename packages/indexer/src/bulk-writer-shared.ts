import { createHash } from 'node:crypto';
import { indexNameFor, TrailscopeError, type EventDoc } from '@trailscope/model';
import { backoffDelayMs, sleep } from './backoff';
import { classifyBulkResponse, type BulkResponseBody } from './bulk-outcome';
import { BulkSessionState } from './bulk-writer-session';
import type { BulkStats, BulkWriterOptions, BulkWriterSession } from './bulk-writer-types';
import type { DeadLetterDoc, DeadLetterEntry } from './dead-letter-index';
import { errorFacts, isTransient, toOpenSearchError } from './opensearch-error';

export interface SharedBulkWriter {
  /** A new session (one per job): documents of all sessions share the writer's bulk requests. */
  session(): BulkWriterSession;
  /** Totals over every session so far. */
  stats(): BulkStats;
}

interface Entry {
  /** The action line and the source line, newline-terminated: the NDJSON sent. */
  line: string;
  bytes: number;
  target: 'event' | 'deadletter';
  owner: BulkSessionState;
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
export const DEFAULT_LINGER_MS = 50;

/**
 * Buffers the documents of any number of sessions into `_bulk` requests flushed by bytes and count, with bounded
 * concurrency, so a worker's concurrent jobs fill full-size requests whatever their file sizes. Every write is a
 * `create` with a deterministic _id into the index of the document's eventTime, so replays are counted as duplicates
 * and never overwrite. Each item's result is classified (bulk-outcome.ts) and credited to the session that added it:
 * throttled and failing items are retried with exponential backoff and jitter, refused documents go to the
 * dead-letter index with the reason. A batch that keeps failing fails exactly the sessions with documents in it; the
 * writer carries on for the others.
 */
export function createSharedBulkWriter(options: BulkWriterOptions): SharedBulkWriter {
  const { client, config, logger } = options;
  const { bulkFlushBytes, bulkFlushDocs, bulkConcurrency } = config.ingest;
  const maxRetryMs = options.maxRetryMs ?? DEFAULT_MAX_RETRY_MS;
  const maxItemAttempts = options.maxItemAttempts ?? 30;
  const baseMs = options.backoffBaseMs ?? 200;
  const capMs = options.backoffCapMs ?? 10_000;
  const lingerMs = options.lingerMs ?? DEFAULT_LINGER_MS;
  const now = options.now ?? (() => new Date());
  const deadLetterAction = `{"create":{"_index":${JSON.stringify(config.names.deadLetterIndex)},"_id":`;

  const totals: BulkStats = { indexed: 0, duplicates: 0, deadLettered: 0, retried: 0, bytes: 0 };
  let buffer: Entry[] = [];
  let bufferBytes = 0;
  const outstanding = new Set<Promise<void>>();
  let running = 0;
  const slotWaiters: Array<() => void> = [];
  let addingSessions = 0;
  let lingerTimer: NodeJS.Timeout | undefined;

  function count(owner: BulkSessionState, field: keyof BulkStats, n: number): void {
    owner.stats[field] += n;
    totals[field] += n;
  }

  function push(entry: Entry): void {
    buffer.push(entry);
    bufferBytes += entry.bytes;
    entry.owner.pending++;
    entry.owner.buffered++;
    // A flushing session waits on this to send entries queued on its behalf (dead-letter records of refusals).
    entry.owner.notify();
  }

  function settle(owner: BulkSessionState): void {
    owner.pending--;
    if (owner.pending === 0) owner.notify();
  }

  function deadLetterEntry(entry: DeadLetterEntry, owner: BulkSessionState): Entry {
    const doc: DeadLetterDoc = { ...entry, at: now().toISOString() };
    const id = createHash('sha256').update(`${entry.bucket}\n${entry.key}\n${entry.etag}\n${entry.raw}`, 'utf8').digest('hex');
    const line = `${deadLetterAction}"${id}"}}\n${JSON.stringify(doc)}\n`;
    return { line, bytes: Buffer.byteLength(line, 'utf8'), target: 'deadletter', owner };
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
        count(entry.owner, entry.target === 'deadletter' ? 'deadLettered' : outcome.kind === 'created' ? 'indexed' : 'duplicates', 1);
        settle(entry.owner);
        return;
      case 'retry':
        retry.push(entry);
        return;
      case 'deadletter':
        if (entry.target === 'event' && entry.raw !== undefined && entry.ingest) {
          logger.warn({ key: entry.ingest.key, reason: outcome.reason }, 'OpenSearch refused a document, dead-lettering it');
          const { bucket, key, etag } = entry.ingest;
          push(deadLetterEntry({ raw: entry.raw, code: 'OPENSEARCH_REJECTED', reason: outcome.reason, bucket, key, etag }, entry.owner));
          settle(entry.owner);
          return;
        }
        throw new TrailscopeError('OPENSEARCH_REJECTED', `OpenSearch refused a dead-letter record in ${config.names.deadLetterIndex}: ${outcome.reason}`);
      case 'fatal':
        throw new TrailscopeError('OPENSEARCH_REJECTED', `OpenSearch refused a bulk write (HTTP ${outcome.status}): ${outcome.reason}`, {
          context: { status: outcome.status, type: outcome.type },
        });
    }
  }

  /** Sends a batch until every entry is settled; `state.pending` holds what is unsettled when it throws. */
  async function send(state: { pending: Entry[] }): Promise<void> {
    let attempt = 0;
    let failingSince: number | undefined;
    for (;;) {
      // Entries of sessions that already failed or ended are not retried for nobody.
      const pending = state.pending.filter((e) => e.owner.live);
      state.pending = pending;
      if (pending.length === 0) return;
      let body = '';
      for (const e of pending) {
        body += e.line;
        count(e.owner, 'bytes', e.bytes);
      }
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
        state.pending = retry;
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
        logger.error({ attempt, documents: retry.length, problem }, 'OpenSearch kept failing, giving up on this batch');
        throw new TrailscopeError(
          'OPENSEARCH_UNAVAILABLE',
          `OpenSearch kept failing a bulk write of ${retry.length} documents for ${Math.round((t - failingSince) / 1000)} s (${attempt} attempts): ${problem}`,
        );
      }
      if (attempt === 1 || attempt % 10 === 0) {
        logger.warn({ attempt, documents: retry.length, problem }, 'bulk write failed transiently, retrying');
      }
      for (const e of retry) count(e.owner, 'retried', 1);
      await sleep(backoffDelayMs(attempt, baseMs, capMs));
    }
  }

  async function dispatch(): Promise<void> {
    if (lingerTimer !== undefined) {
      clearTimeout(lingerTimer);
      lingerTimer = undefined;
    }
    if (buffer.length === 0) return;
    const state = { pending: buffer };
    for (const e of buffer) e.owner.buffered--;
    buffer = [];
    bufferBytes = 0;
    const task: Promise<void> = (async () => {
      await acquire();
      try {
        await send(state);
      } finally {
        release();
      }
    })()
      .catch((err: unknown) => {
        // Fails exactly the sessions whose documents this batch could not settle.
        for (const e of state.pending) e.owner.fail(err);
      })
      .finally(() => outstanding.delete(task));
    outstanding.add(task);
    // Backpressure: at most `bulkConcurrency` requests in flight plus one batch waiting for a slot.
    while (outstanding.size > bulkConcurrency) await Promise.race(outstanding);
  }

  /** A flushing session's entries are buffered: send now when nobody else is adding, else after the linger. */
  async function flushPartial(): Promise<void> {
    if (buffer.length === 0) return;
    if (addingSessions === 0 || lingerMs <= 0) {
      await dispatch();
      return;
    }
    lingerTimer ??= setTimeout(() => {
      lingerTimer = undefined;
      void dispatch();
    }, lingerMs);
  }

  function setAdding(s: BulkSessionState, adding: boolean): void {
    if (s.adding === adding) return;
    s.adding = adding;
    addingSessions += adding ? 1 : -1;
  }

  async function enqueue(s: BulkSessionState, entry: Entry): Promise<void> {
    if (s.failure !== undefined) throw s.failure;
    if (s.closed) throw new TrailscopeError('INTERNAL', 'a bulk writer session was used after close()');
    setAdding(s, true);
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

  function session(): BulkWriterSession {
    const s = new BulkSessionState();
    addingSessions++;
    return {
      async add(id: string, doc: EventDoc): Promise<void> {
        const index = indexOf(doc.eventTime);
        const line = `{"create":{"_index":"${index}","_id":${JSON.stringify(id)}}}\n${JSON.stringify(doc)}\n`;
        await enqueue(s, { line, bytes: Buffer.byteLength(line, 'utf8'), target: 'event', owner: s, raw: doc.raw, ingest: doc.ingest });
      },
      async deadLetter(entry: DeadLetterEntry): Promise<void> {
        await enqueue(s, deadLetterEntry(entry, s));
      },
      async flush(): Promise<BulkStats> {
        setAdding(s, false);
        // The last session to stop adding sends the batch others are lingering on.
        if (addingSessions === 0 && lingerTimer !== undefined) await dispatch();
        for (;;) {
          if (s.failure !== undefined) throw s.failure;
          if (s.pending === 0) return { ...s.stats };
          const changed = s.changed();
          if (s.buffered > 0) await flushPartial();
          await changed;
        }
      },
      stats(): BulkStats {
        return { ...s.stats };
      },
      close(): void {
        if (s.closed) return;
        setAdding(s, false);
        s.closed = true;
        if (s.buffered > 0) {
          buffer = buffer.filter((e) => e.owner !== s);
          bufferBytes = buffer.reduce((n, e) => n + e.bytes, 0);
          s.buffered = 0;
        }
        s.notify();
        // The others' partial batch need not wait for a session that will add nothing more.
        if (addingSessions === 0 && buffer.length > 0) void dispatch();
      },
    };
  }

  return { session, stats: () => ({ ...totals }) };
}
