import { setTimeout as sleep } from 'node:timers/promises';
import { TrailscopeError } from '@trailscope/model';
import type { Logger, OpenSearchClient } from '@trailscope/runtime';
import type { BulkOutcome } from './bulk-outcome';
import { eventLine, type BulkEntry, type EventEntry, type SideEntry } from './bulk-entry';
import type { BulkLedger } from './bulk-ledger';
import { sendBulk, sendMget } from './bulk-request';
import { RetryBudget, type RetryPolicyOptions } from './bulk-retry';
import { conflictEntry, type StoredCopy } from './conflict-entry';
import { deadLetterEntry } from './dead-letter-entry';
import { claimLine, claimsOf, type EventIdClaim } from './event-id-index';

/** Reads of a conflicting event's stored copy, waiting 100, 200, 400, 800 and 1,600 ms between them. */
const STORED_COPY_READS = 6;
const STORED_COPY_FIRST_WAIT_MS = 100;

export interface BatchSenderOptions {
  client: OpenSearchClient;
  names: { eventIdsIndex: string; conflictsIndex: string; deadLetterIndex: string };
  logger: Logger;
  ledger: BulkLedger;
  /** Queues a dead-letter or conflict entry for a later batch. */
  queue(entry: SideEntry): void;
  retry: RetryPolicyOptions;
  /** Claim each event id in the event-id index before creating it (always, except to measure what it costs). */
  uniqueIds: boolean;
  refresh?: 'true' | 'false' | 'wait_for';
}

interface Round {
  /** Entries to try again. */
  retry: BulkEntry[];
  /** Why the last failing request or item failed. */
  problem: string;
  /** Whether that failure was an answer (items refused transiently) rather than no answer at all. */
  answered: boolean;
}

/**
 * Settles one batch: claims its events' ids in the event-id index, resolves the ids already claimed (same content:
 * written into the index holding the stored copy, where `create` answers 409 for a duplicate or restores a
 * document whose claim outlived its write; different content: kept as a conflict), creates the events and the
 * batch's dead-letter and conflict records, and classifies every item. Transient failures are retried within the
 * batch's retry budget; anything else throws, failing the sessions of what is left unsettled.
 */
export function createBatchSender(options: BatchSenderOptions): (state: { pending: BulkEntry[] }) => Promise<void> {
  const { client, names, logger, ledger } = options;
  const now = options.retry.now;

  function deadLetterEvent(e: EventEntry, reason: string): void {
    logger.warn({ key: e.ingest.key, reason }, 'OpenSearch refused a document, dead-lettering it');
    const { bucket, key, etag } = e.ingest;
    options.queue(deadLetterEntry(names.deadLetterIndex, { raw: e.raw, code: 'OPENSEARCH_REJECTED', reason, bucket, key, etag }, e.owner, now()));
    ledger.settle(e.owner);
  }

  function fatal(outcome: Extract<BulkOutcome, { kind: 'fatal' }>): never {
    throw new TrailscopeError('OPENSEARCH_REJECTED', `OpenSearch refused a bulk write (HTTP ${outcome.status}): ${outcome.reason}`, {
      context: { status: outcome.status, type: outcome.type },
    });
  }

  function failedItem(round: Round, e: BulkEntry, outcome: Extract<BulkOutcome, { kind: 'retry' }>): void {
    round.retry.push(e);
    if (!round.answered || round.problem === '') round.problem = `HTTP ${outcome.status}: ${outcome.reason}`;
    round.answered = true;
  }

  function noAnswer(round: Round, entries: BulkEntry[], problem: string): void {
    round.retry.push(...entries);
    round.problem = problem;
    round.answered = false;
  }

  /** Claims the ids of `events`; returns those now claimed, and those claimed earlier with other content. */
  async function claim(events: EventEntry[], round: Round): Promise<{ claimed: EventEntry[]; conflicts: Array<{ entry: EventEntry; claim: EventIdClaim }> }> {
    const claimed: EventEntry[] = [];
    const conflicts: Array<{ entry: EventEntry; claim: EventIdClaim }> = [];
    let body = '';
    for (const e of events) {
      const line = claimLine(names.eventIdsIndex, e.id, { index: e.index, sha256: e.sha256 });
      body += line;
      ledger.count(e.owner, 'bytes', Buffer.byteLength(line, 'utf8'));
    }
    const sent = await sendBulk(client, body, events.length, options.refresh);
    if (!sent.ok) {
      noAnswer(round, events, sent.problem);
      return { claimed, conflicts };
    }
    const taken: EventEntry[] = [];
    sent.value.forEach((outcome, i) => {
      const e = events[i] as EventEntry;
      switch (outcome.kind) {
        case 'created':
          e.claimed = true;
          claimed.push(e);
          return;
        case 'duplicate':
          taken.push(e);
          return;
        case 'retry':
          failedItem(round, e, outcome);
          return;
        case 'deadletter':
          // An id the event-id index refuses (e.g. longer than OpenSearch allows) is refused as a document too.
          deadLetterEvent(e, outcome.reason);
          return;
        case 'fatal':
          fatal(outcome);
      }
    });
    if (taken.length === 0) return { claimed, conflicts };
    // Realtime GETs: a claim made a moment ago by another writer is visible, refreshed or not.
    const got = await sendMget(client, `/${encodeURIComponent(names.eventIdsIndex)}/_mget`, { ids: taken.map((e) => e.id) }, `reading ${taken.length} event-id claims`);
    if (!got.ok) {
      noAnswer(round, taken, got.problem);
      return { claimed, conflicts };
    }
    claimsOf(got.value as Parameters<typeof claimsOf>[0], taken.length).forEach((stored, i) => {
      const e = taken[i] as EventEntry;
      if (!stored) {
        // The claim went away between the create and the read (retention removing an expired index's ids).
        round.retry.push(e);
        round.problem ||= `the claim of event id ${e.id} vanished`;
      } else if (stored.sha256 === e.sha256) {
        e.index = stored.index;
        e.claimed = true;
        claimed.push(e);
      } else {
        conflicts.push({ entry: e, claim: stored });
      }
    });
    return { claimed, conflicts };
  }

  async function write(entries: BulkEntry[], round: Round): Promise<void> {
    let body = '';
    for (const e of entries) {
      body += e.target === 'event' ? eventLine(e) : e.line;
      ledger.count(e.owner, 'bytes', e.bytes);
    }
    const sent = await sendBulk(client, body, entries.length, options.refresh);
    if (!sent.ok) {
      for (const e of entries) if (e.target === 'event') e.unanswered = true;
      noAnswer(round, entries, sent.problem);
      return;
    }
    const ownOrNot: EventEntry[] = [];
    sent.value.forEach((outcome, i) => {
      const e = entries[i] as BulkEntry;
      switch (outcome.kind) {
        case 'duplicate':
          if (e.target === 'event' && e.unanswered) {
            ownOrNot.push(e);
            return;
          }
          ledger.count(e.owner, e.target === 'deadletter' ? 'deadLettered' : e.target === 'conflict' ? 'conflicts' : 'duplicates', 1);
          ledger.settle(e.owner);
          return;
        case 'created':
          ledger.count(e.owner, e.target === 'deadletter' ? 'deadLettered' : e.target === 'conflict' ? 'conflicts' : 'indexed', 1);
          ledger.settle(e.owner);
          return;
        case 'retry':
          // An answer that cannot be matched to the items (status 0) may come from a request that stored them.
          if (e.target === 'event' && outcome.status === 0) e.unanswered = true;
          failedItem(round, e, outcome);
          return;
        case 'deadletter':
          if (e.target === 'event') {
            deadLetterEvent(e, outcome.reason);
            return;
          }
          throw new TrailscopeError(
            'OPENSEARCH_REJECTED',
            `OpenSearch refused a ${e.target === 'conflict' ? 'conflict' : 'dead-letter'} record in ${e.target === 'conflict' ? names.conflictsIndex : names.deadLetterIndex}: ${outcome.reason}`,
          );
        case 'fatal':
          fatal(outcome);
      }
    });
    if (ownOrNot.length > 0) await settleOwnOrDuplicate(ownOrNot, round);
  }

  /**
   * Entries whose create answered 409 after an earlier create of theirs lost its answer: the stored copy is their own
   * (that request stored it: indexed) when it carries this very ingest (same file, etag and ingestion time), else an
   * earlier copy's (a duplicate). Counting every such 409 as a duplicate would report documents written by this
   * ingest as replays, and the created count would fall short of what the store holds.
   */
  async function settleOwnOrDuplicate(entries: EventEntry[], round: Round): Promise<void> {
    const docs = entries.map((e) => ({ _index: e.index, _id: e.id, _source: ['ingest'] }));
    const got = await sendMget(client, '/_mget', { docs }, `reading ${docs.length} stored events`);
    if (!got.ok) {
      noAnswer(round, entries, got.problem);
      return;
    }
    const found = got.value.docs ?? [];
    entries.forEach((e, i) => {
      const d = found[i] as { found?: unknown; _source?: { ingest?: unknown } } | undefined;
      if (d?.found !== true) {
        // Gone between the create and the read (retention): create it again.
        round.retry.push(e);
        round.problem ||= `event ${e.id} answered 409 but is not in ${e.index}`;
        return;
      }
      ledger.count(e.owner, JSON.stringify(d._source?.ingest) === JSON.stringify(e.ingest) ? 'indexed' : 'duplicates', 1);
      ledger.settle(e.owner);
    });
  }

  /**
   * Reads the stored copies conflicts collide with, for their reasons; best effort (a reason says when it failed).
   * A copy claimed by another worker's batch may not be written yet when this batch learns of the claim, so a copy
   * not found is read again a few times (about three seconds in all) before its reason says it could not be read.
   */
  async function storedCopies(conflicts: Array<{ entry: EventEntry; claim: EventIdClaim }>): Promise<StoredCopy[]> {
    const copies: StoredCopy[] = conflicts.map(() => ({}));
    let unread = conflicts.map((_, i) => i);
    for (let attempt = 0; unread.length > 0 && attempt < STORED_COPY_READS; attempt++) {
      if (attempt > 0) await sleep(STORED_COPY_FIRST_WAIT_MS * 2 ** (attempt - 1));
      const docs = unread.map((i) => ({ _index: conflicts[i]!.claim.index, _id: conflicts[i]!.entry.id, _source: ['raw', 'ingest.bucket', 'ingest.key'] }));
      const got = await sendMget(client, '/_mget', { docs }, `reading ${docs.length} stored events`).catch(() => undefined);
      const found = got?.ok ? (got.value.docs ?? []) : [];
      unread = unread.filter((ci, j) => {
        const d = found[j] as { found?: unknown; _source?: { raw?: unknown; ingest?: { bucket?: unknown; key?: unknown } } } | undefined;
        const s = d?.found === true ? d._source : undefined;
        if (typeof s?.raw !== 'string') return true;
        copies[ci] = {
          raw: s.raw,
          bucket: typeof s.ingest?.bucket === 'string' ? s.ingest.bucket : undefined,
          key: typeof s.ingest?.key === 'string' ? s.ingest.key : undefined,
        };
        return false;
      });
    }
    return copies;
  }

  return async function send(state: { pending: BulkEntry[] }): Promise<void> {
    const budget = new RetryBudget(options.retry);
    for (;;) {
      // Entries of sessions that already failed or ended are not retried for nobody.
      const pending = state.pending.filter((e) => e.owner.live);
      state.pending = pending;
      if (pending.length === 0) return;
      const round: Round = { retry: [], problem: '', answered: true };
      const toClaim: EventEntry[] = [];
      const writable: BulkEntry[] = [];
      for (const e of pending) {
        if (e.target === 'event' && !e.claimed && options.uniqueIds) toClaim.push(e);
        else writable.push(e);
      }
      let conflicts: Array<{ entry: EventEntry; claim: EventIdClaim }> = [];
      if (toClaim.length > 0) {
        const claimed = await claim(toClaim, round);
        writable.push(...claimed.claimed);
        conflicts = claimed.conflicts;
      }
      if (writable.length > 0) await write(writable, round);
      if (conflicts.length > 0) {
        // After the write, so that a stored copy claimed earlier in this very batch can be read.
        const stored = await storedCopies(conflicts);
        conflicts.forEach((c, i) => {
          options.queue(conflictEntry(names.conflictsIndex, c.entry, c.claim, stored[i] ?? {}, c.entry.owner, now()));
          ledger.settle(c.entry.owner);
        });
        logger.warn({ conflicts: conflicts.length, key: conflicts[0]?.entry.ingest.key }, 'event ids already stored with different content, kept as conflicts');
      }
      state.pending = round.retry;
      if (round.retry.length === 0) return;
      if (round.retry.length < pending.length) budget.progressed();
      try {
        budget.failed(round.answered, round.retry.length, round.problem || 'throttled');
      } catch (err) {
        logger.error({ attempt: budget.attempts, documents: round.retry.length, problem: round.problem }, 'OpenSearch kept failing, giving up on this batch');
        throw err;
      }
      if (budget.attempts === 1 || budget.attempts % 10 === 0) {
        logger.warn({ attempt: budget.attempts, documents: round.retry.length, problem: round.problem }, 'bulk write failed transiently, retrying');
      }
      for (const e of round.retry) ledger.count(e.owner, 'retried', 1);
      await budget.wait(round.retry.length, round.problem || 'throttled');
    }
  };
}
