export * from './process-log-file';
export * from './opensearch-gate';
export * from './ensure-templates';
export * from './start-worker';
