import { createHash } from 'node:crypto';

/** Hex SHA-256 of a text's UTF-8 bytes: how two copies of a record are compared byte for byte. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * The id of a record kept aside (dead-letter or conflict entry) for one copy from one file: a retried job stores
 * the same entry again instead of a second one.
 */
export function sideEntryId(source: { bucket: string; key: string; etag: string }, raw: string): string {
  return sha256Hex(`${source.bucket}\n${source.key}\n${source.etag}\n${raw}`);
}
