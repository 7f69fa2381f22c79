import type { BulkStats } from './bulk-writer-types';
import { BulkSessionState } from './bulk-writer-session';

export function emptyStats(): BulkStats {
  return { indexed: 0, duplicates: 0, deadLettered: 0, conflicts: 0, retried: 0, bytes: 0 };
}

/**
 * The accounting of a shared writer's sessions: totals, which entries each still owes, and how many sessions are
 * still adding (a partial batch lingers for them).
 */
export class BulkLedger {
  readonly totals: BulkStats = emptyStats();
  addingSessions = 0;

  open(): BulkSessionState {
    this.addingSessions++;
    return new BulkSessionState();
  }

  count(owner: BulkSessionState, field: keyof BulkStats, n: number): void {
    owner.stats[field] += n;
    this.totals[field] += n;
  }

  /** An entry of `owner` entered the buffer. */
  queued(owner: BulkSessionState): void {
    owner.pending++;
    owner.buffered++;
    // A flushing session waits on this to send entries queued on its behalf (dead-letter and conflict records).
    owner.notify();
  }

  /** An entry of `owner` is acknowledged, or handed over to a dead-letter or conflict entry of its own. */
  settle(owner: BulkSessionState): void {
    owner.pending--;
    if (owner.pending === 0) owner.notify();
  }

  setAdding(s: BulkSessionState, adding: boolean): void {
    if (s.adding === adding) return;
    s.adding = adding;
    this.addingSessions += adding ? 1 : -1;
  }
}
