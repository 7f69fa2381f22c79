import type { EventDoc } from '@trailscope/model';
import type { BulkSessionState } from './bulk-writer-session';

/** An event on its way into its event index: first its id is claimed in the event-id index, then it is created. */
export interface EventEntry {
  target: 'event';
  owner: BulkSessionState;
  /** Size of the document line, for the flush policy. */
  bytes: number;
  id: string;
  /** The event index it goes to: that of its eventTime, or the one already holding an identical copy. */
  index: string;
  /** The document as JSON. */
  source: string;
  /** Hex SHA-256 of `raw`. */
  sha256: string;
  raw: string;
  ingest: EventDoc['ingest'];
  /** The event-id index names this entry's index for its id (claimed by it, or by an identical copy). */
  claimed: boolean;
  /**
   * A create of it was sent and its answer lost (no answer, or one that could not be matched to the items): it may
   * be stored by that very request, so a later 409 is not taken for a duplicate without reading the stored copy.
   */
  unanswered?: boolean;
}

/** A record kept aside (dead-letter or conflict index): one ready NDJSON action and source. */
export interface SideEntry {
  target: 'deadletter' | 'conflict';
  owner: BulkSessionState;
  bytes: number;
  line: string;
}

export type BulkEntry = EventEntry | SideEntry;

export function eventAction(index: string, id: string): string {
  return `{"create":{"_index":${JSON.stringify(index)},"_id":${JSON.stringify(id)}}}\n`;
}

export function eventLine(e: EventEntry): string {
  return `${eventAction(e.index, e.id)}${e.source}\n`;
}

export function sideEntry(target: SideEntry['target'], owner: BulkSessionState, index: string, id: string, doc: unknown): SideEntry {
  const line = `{"create":{"_index":${JSON.stringify(index)},"_id":${JSON.stringify(id)}}}\n${JSON.stringify(doc)}\n`;
  return { target, owner, line, bytes: Buffer.byteLength(line, 'utf8') };
}
