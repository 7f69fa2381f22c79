import pLimit from 'p-limit';
import type { BulkEntry } from './bulk-entry';
import type { BulkLedger } from './bulk-ledger';
import type { BulkSessionState } from './bulk-writer-session';

export interface BatcherOptions {
  flushDocs: number;
  flushBytes: number;
  /** Batches sent at once. */
  concurrency: number;
  /** How long a flushing session's partial batch waits for sessions still adding; 0 sends at once. */
  lingerMs: number;
  ledger: BulkLedger;
  /**
   * Sends a batch until every entry is settled; `state.pending` holds what is still unsettled when it throws, and
   * exactly those entries' sessions fail.
   */
  send(state: { pending: BulkEntry[] }): Promise<void>;
}

/**
 * The flush policy of a shared writer: one buffer for every session, sent as a batch when it reaches `flushDocs`
 * or `flushBytes`, or when a flushing session has waited `lingerMs` for the others; at most `concurrency` batches
 * in flight and one more waiting for a slot, beyond which adding waits (backpressure).
 */
export class BulkBatcher {
  private buffer: BulkEntry[] = [];
  private bufferBytes = 0;
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly outstanding = new Set<Promise<void>>();
  private lingerTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: BatcherOptions) {
    this.limit = pLimit(options.concurrency);
  }

  get lingering(): boolean {
    return this.lingerTimer !== undefined;
  }

  /** Buffers an entry without sending (an entry queued while a batch is being settled). */
  push(entry: BulkEntry): void {
    this.buffer.push(entry);
    this.bufferBytes += entry.bytes;
    this.options.ledger.queued(entry.owner);
  }

  /** Buffers an entry, and sends the buffer once full; resolves when there is room for more. */
  async add(entry: BulkEntry): Promise<void> {
    this.push(entry);
    if (this.buffer.length >= this.options.flushDocs || this.bufferBytes >= this.options.flushBytes) await this.dispatch();
  }

  async dispatch(): Promise<void> {
    if (this.lingerTimer !== undefined) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = undefined;
    }
    if (this.buffer.length === 0) return;
    const state = { pending: this.buffer };
    for (const e of this.buffer) e.owner.buffered--;
    this.buffer = [];
    this.bufferBytes = 0;
    const task: Promise<void> = this.limit(() => this.options.send(state))
      .catch((err: unknown) => {
        // Fails exactly the sessions whose documents this batch could not settle.
        for (const e of state.pending) e.owner.fail(err);
      })
      .finally(() => this.outstanding.delete(task));
    this.outstanding.add(task);
    while (this.outstanding.size > this.options.concurrency) await Promise.race(this.outstanding);
  }

  /** A flushing session's entries are buffered: send now when nobody else is adding, else after the linger. */
  async flushPartial(): Promise<void> {
    if (this.buffer.length === 0) return;
    if (this.options.ledger.addingSessions === 0 || this.options.lingerMs <= 0) {
      await this.dispatch();
      return;
    }
    this.lingerTimer ??= setTimeout(() => {
      this.lingerTimer = undefined;
      void this.dispatch();
    }, this.options.lingerMs);
  }

  /** Drops the entries of `owner` not yet sent (a closed session). */
  drop(owner: BulkSessionState): void {
    this.buffer = this.buffer.filter((e) => e.owner !== owner);
    this.bufferBytes = this.buffer.reduce((n, e) => n + e.bytes, 0);
  }

  get empty(): boolean {
    return this.buffer.length === 0;
  }
}
