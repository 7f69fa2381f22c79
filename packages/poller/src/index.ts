export * from './dates';
export * from './for-each-concurrent';
export * from './checkpoint-store';
export * from './plan-streams';
export * from './list-streams';
export * from './ingest-pass';
export * from './run-poller';
