import type { BulkSessionState } from './bulk-writer-session';
import { sideEntry, type EventEntry, type SideEntry } from './bulk-entry';
import { sideEntryId } from './content-hash';
import { conflictReason, type ConflictDoc } from './conflicts-index';
import type { EventIdClaim } from './event-id-index';

/** What could be read of the stored copy an entry collides with. */
export interface StoredCopy {
  raw?: string;
  bucket?: string;
  key?: string;
}

/** The bulk entry recording `entry` as a conflicting copy of the event claimed by `claim`. */
export function conflictEntry(conflictsIndex: string, entry: EventEntry, claim: EventIdClaim, stored: StoredCopy, owner: BulkSessionState, at: Date): SideEntry {
  const { bucket, key, etag } = entry.ingest;
  const id = sideEntryId(entry.ingest, entry.raw);
  const doc: ConflictDoc = {
    id,
    code: 'EVENT_ID_CONFLICT',
    eventId: entry.id,
    reason: conflictReason(entry.id, claim.index, stored.raw, entry.raw),
    raw: entry.raw,
    sha256: entry.sha256,
    bucket,
    key,
    etag,
    storedIndex: claim.index,
    storedId: entry.id,
    storedSha256: claim.sha256,
    ...(stored.bucket !== undefined ? { storedBucket: stored.bucket } : {}),
    ...(stored.key !== undefined ? { storedKey: stored.key } : {}),
    at: at.toISOString(),
  };
  return sideEntry('conflict', owner, conflictsIndex, id, doc);
}
