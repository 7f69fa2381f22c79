export * from './process-log-file';
export * from './service-gate';
export * from './ensure-templates';
export * from './start-worker';
export * from './retention-sweeper';
export * from './sync-ingest-state';
