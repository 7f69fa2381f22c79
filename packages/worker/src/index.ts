/**
 * The API of @trailscope/worker: only what other packages, tests and the bench import. A name used only inside the
 * package stays unexported; export one here (and in exports.txt beside this package's exports test) when another
 * package needs it.
 */
export { type FileResult } from './process-log-file';
export { startWorker, type RunningWorker } from './start-worker';
export { startRetentionSweeper, type RetentionSweeper } from './retention-sweeper';
export { syncIngestState } from './sync-ingest-state';
export { startLiveInsights, type LiveInsightsJob } from './live-insights-job';
