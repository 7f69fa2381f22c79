export * from './ingest-job';
export * from './job-id';
export * from './failure-reason';
export * from './ingest-queue';
export * from './done-tracker';
export * from './producer';
export * from './consumer';
export * from './failed-jobs';
export type { ConnectionOptions } from 'bullmq';
