import type { BulkSessionState } from './bulk-writer-session';
import { sideEntry, type SideEntry } from './bulk-entry';
import { sideEntryId } from './content-hash';
import type { DeadLetterDoc, DeadLetterEntry } from './dead-letter-index';

/** The bulk entry storing a refused record in the dead-letter index, under an id that a retried job reproduces. */
export function deadLetterEntry(deadLetterIndex: string, entry: DeadLetterEntry, owner: BulkSessionState, at: Date): SideEntry {
  const doc: DeadLetterDoc = { ...entry, at: at.toISOString() };
  return sideEntry('deadletter', owner, deadLetterIndex, sideEntryId(entry, entry.raw), doc);
}
