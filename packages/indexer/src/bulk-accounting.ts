import { TrailscopeError } from '@trailscope/model';
import type { BulkStats } from './bulk-writer-types';

/** How the records handed to a bulk writer ended: every one is a document, a duplicate, a conflict or dead-lettered. */
export interface Accounting {
  /** Records handed to the writer (events added and records dead-lettered by the caller). */
  records: number;
  /** Records the writer settled: created, duplicates, conflicts and dead-lettered. */
  settled: number;
  /** Records in but not settled: lost when not 0 (negative: some record was counted twice). */
  missing: number;
}

export function accountFor(records: number, stats: Pick<BulkStats, 'indexed' | 'duplicates' | 'conflicts' | 'deadLettered'>): Accounting {
  const settled = stats.indexed + stats.duplicates + stats.conflicts + stats.deadLettered;
  return { records, settled, missing: records - settled };
}

/** Throws INTERNAL, naming every count, unless records in == created + duplicates + conflicts + dead-lettered. */
export function assertAccounted(records: number, stats: Pick<BulkStats, 'indexed' | 'duplicates' | 'conflicts' | 'deadLettered'>, what: string): Accounting {
  const a = accountFor(records, stats);
  if (a.missing !== 0) {
    throw new TrailscopeError(
      'INTERNAL',
      `${what}: ${records} records in, but ${stats.indexed} created + ${stats.duplicates} duplicates + ${stats.conflicts} conflicts + ${stats.deadLettered} dead-lettered = ${a.settled}`,
      { context: { records, indexed: stats.indexed, duplicates: stats.duplicates, conflicts: stats.conflicts, deadLettered: stats.deadLettered } },
    );
  }
  return a;
}
