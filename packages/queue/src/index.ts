/**
 * The API of @trailscope/queue: only what other packages, tests and the bench import. A name used only inside the
 * package stays unexported; export one here (and in exports.txt beside this package's exports test) when another
 * package needs it.
 */
export { type IngestJobData } from './ingest-job';
export { jobIdFor } from './job-id';
export { createIngestQueue, pendingCounts, type IngestQueue } from './ingest-queue';
export { DoneTracker } from './done-tracker';
export { syncStoreGeneration } from './store-generation-sync';
export { Producer } from './producer';
export { createIngestConsumer } from './consumer';
export { listFailed, retryFailed } from './failed-jobs';
export { insightsQueueName, removeInsightsSchedule, startInsightsSchedule, type InsightsSchedule } from './insights-schedule';
export { addAlertJobs, ALERT_DEDUP_KEEP_S, alertQueueName, alertsInJob, heldAlerts, type AlertJobRun, createAlertQueue, createAlertWorker, listFailedAlerts, permanentAlertFailure, retryFailedAlerts, RetryInOrder, type AlertJob, type AlertQueue, type FailedAlert } from './alert-queue';
