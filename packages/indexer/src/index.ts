/**
 * The API of @trailscope/indexer: only what other packages, tests and the bench import. A name used only inside the
 * package stays unexported; export one here (and in exports.txt beside this package's exports test) when another
 * package needs it.
 */
export { eventMappings } from './event-template';
export { type ConflictDoc } from './conflicts-index';
export { applyRetention } from './retention';
export { adviseIndexPeriod, measureShardSizing, SHARD_SIZING, type IndexPeriodAdvice, type ShardSizing } from './shard-sizing';
export { checkTemplates, installTemplates, type SetupReport } from './install-templates';
export {
  createBulkWriter,
  createSharedBulkWriter,
  type BulkStats,
  type BulkWriter,
  type SharedBulkWriter,
} from './bulk-writer';
export { accountFor, assertAccounted, type Accounting } from './bulk-accounting';
export { listDeadLetters } from './list-dead-letters';
export { listConflicts } from './list-conflicts';
export { FILE_STATUSES, isAccounted, writeLedgerEntry, type FileLedgerEntry } from './file-ledger';
export { storeGenerationOf } from './store-generation';
