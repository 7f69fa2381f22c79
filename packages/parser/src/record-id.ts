import { createHash } from 'node:crypto';

/** OpenSearch refuses `_id`s longer than 512 bytes. */
const MAX_ID_BYTES = 512;

/**
 * The document id: the record's eventID, else (old eventVersions have none) a hash of its original text, so the same
 * record delivered twice maps to the same document either way.
 */
export function recordIdOf(eventID: string | undefined, rawText: string): string {
  if (eventID !== undefined && eventID !== '' && (eventID.length * 3 <= MAX_ID_BYTES || Buffer.byteLength(eventID, 'utf8') <= MAX_ID_BYTES)) {
    return eventID;
  }
  return `sha256-${createHash('sha256').update(rawText, 'utf8').digest('hex')}`;
}
