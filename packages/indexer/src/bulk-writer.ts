import { createSharedBulkWriter } from './bulk-writer-shared';
import type { BulkWriter, BulkWriterOptions } from './bulk-writer-types';

export type { BulkStats, BulkWriter, BulkWriterOptions, BulkWriterSession } from './bulk-writer-types';
export { createSharedBulkWriter, DEFAULT_LINGER_MS, DEFAULT_MAX_RETRY_MS, type SharedBulkWriter } from './bulk-writer-shared';

/**
 * A bulk writer for one caller (a bench, a seeding script, a test): a shared writer with a single session, so its
 * flush sends at once and its first failure ends it.
 */
export function createBulkWriter(options: BulkWriterOptions): BulkWriter {
  return createSharedBulkWriter(options).session();
}
