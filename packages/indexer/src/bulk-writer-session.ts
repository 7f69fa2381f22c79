import type { BulkStats } from './bulk-writer-types';

/**
 * The bookkeeping of one session of a shared bulk writer: which of the writer's entries are its own, so that a job
 * completes when its documents are settled, and fails only when a batch holding its documents fails.
 */
export class BulkSessionState {
  readonly stats: BulkStats = { indexed: 0, duplicates: 0, deadLettered: 0, conflicts: 0, retried: 0, bytes: 0 };
  /** Entries queued and not yet acknowledged (created, duplicate) or handed over to a dead-letter or conflict entry. */
  pending = 0;
  /** Entries still in the writer's buffer, not yet part of a request. */
  buffered = 0;
  /** Added since its last flush: a flushing session may wait a little for it to fill the batch. */
  adding = true;
  closed = false;
  failure: unknown;
  private waiters: Array<() => void> = [];

  /** Whether its entries are still worth sending. */
  get live(): boolean {
    return this.failure === undefined && !this.closed;
  }

  /** Resolves on the next notify(); taken before acting on the state, so no change is missed. */
  changed(): Promise<void> {
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  notify(): void {
    const waiters = this.waiters;
    if (waiters.length === 0) return;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  fail(err: unknown): void {
    this.failure ??= err;
    this.notify();
  }
}
