export * from './dates';
export * from './for-each-concurrent';
export * from './checkpoint-store';
export * from './plan-partitions';
export * from './ingest-pass';
export * from './run-poller';
