import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { startDetector } from '@trailscope/detect';
import type { InsightsConfig } from '@trailscope/insights';
import { createSharedBulkWriter } from '@trailscope/indexer';
import { createIngestConsumer, DoneTracker, type IngestJobData } from '@trailscope/queue';
import type { ErrorCode } from '@trailscope/model';
import { createRedis, type Config, type Logger, type OpenSearchClient, type Redis } from '@trailscope/runtime';
import { processLogFile, type FileResult } from './process-log-file';
import { ServiceGate } from './service-gate';
import { ensureTemplates } from './ensure-templates';
import { startLiveInsights, type LiveInsightsJob } from './live-insights-job';
import { startRetentionSweeper } from './retention-sweeper';
import { syncIngestState } from './sync-ingest-state';

export interface WorkerDeps {
  config: Config;
  logger: Logger;
  s3: S3Client;
  opensearch: OpenSearchClient;
  /** For the done-tracker; BullMQ gets its own connections from `config.redis.url`. */
  redis: Redis;
}

export interface WorkerOptions {
  concurrency?: number;
  lockDurationMs?: number;
  /** Install the index templates when missing instead of refusing to start. */
  installTemplates?: boolean;
  /** How often to delete event indices past retention (only when retention is configured); default hourly. */
  retentionSweepMs?: number;
  /** Pause between live-detection passes when no indexed file waits for evaluation (default 5 s). */
  detectIntervalMs?: number;
  /** Take part in the live Insights job with these settings (one tick at a time across every process that does). */
  insights?: InsightsConfig;
  onCompleted?: (job: IngestJobData, result: FileResult) => void;
  onFailed?: (job: IngestJobData | undefined, failure: { code: ErrorCode; message: string; attemptsMade: number; final: boolean }) => void;
}

export interface RunningWorker {
  /** Stops taking jobs and waits for the running ones (a killed worker's jobs are taken over after the lock expires). */
  close(): Promise<void>;
}

/** Starts consuming ingest jobs: the composition root of a worker, used by `trailscope worker` and `backfill --wait`. */
export async function startWorker(deps: WorkerDeps, options: WorkerOptions = {}): Promise<RunningWorker> {
  const { config, logger } = deps;
  const abort = new AbortController();
  await ensureTemplates(deps.opensearch, config, logger, { install: options.installTemplates, signal: abort.signal });
  await syncIngestState(deps);
  const retention = startRetentionSweeper(deps, { intervalMs: options.retentionSweepMs });
  // Rules run on a schedule over the events of indexed files, not here on parsed records (see packages/detect).
  const detector = startDetector({ opensearch: deps.opensearch, redis: deps.redis, config, logger }, {
    intervalMs: options.detectIntervalMs,
    ruleRefreshMs: config.ingest.rulesRefreshMs,
  });
  // One writer for all of this process's jobs, so bulk requests are sized by the flush limits rather than by files.
  // Closing aborts its retry waits: a job whose batch is backing off fails (retryably) instead of holding the exit.
  const writer = createSharedBulkWriter({ client: deps.opensearch, config, logger, signal: abort.signal });
  const done = new DoneTracker(deps.redis, config.names.redisPrefix);
  const osGate = new ServiceGate('opensearch', 'OPENSEARCH_UNAVAILABLE', () => deps.opensearch.cluster.health({ wait_for_status: 'yellow', timeout: '5s' }), logger, 2000, abort.signal);
  let lastBucket = '';
  const s3Gate = new ServiceGate('s3', 'S3_UNAVAILABLE', () => deps.s3.send(new HeadBucketCommand({ Bucket: lastBucket })), logger, 2000, abort.signal);
  // Its own connection (BullMQ derives its blocking one from it), created with maxRetriesPerRequest null so that
  // commands wait through a Redis restart instead of failing.
  const connection = createRedis(config);
  const consumer = createIngestConsumer<FileResult>({
    config,
    connection,
    concurrency: options.concurrency ?? config.ingest.workerConcurrency,
    lockDurationMs: options.lockDurationMs ?? config.ingest.jobLockMs,
    logger,
    // Results are reported from the processor itself, not from BullMQ's completed event: after a Redis restart the
    // job record may be gone and its completion unrecordable, yet its documents were written and must be counted.
    processor: async (job) => {
      if (await done.isDone(job)) {
        const skipped: FileResult = { events: 0, duplicates: 0, deadLettered: 0, conflicts: 0, retried: 0, bytes: 0, alreadyIndexed: true };
        options.onCompleted?.(job, skipped);
        return skipped;
      }
      await osGate.pass();
      await s3Gate.pass();
      let result: FileResult;
      try {
        result = await processLogFile({ s3: deps.s3, opensearch: deps.opensearch, writer, config, logger }, job);
      } catch (err) {
        lastBucket = job.bucket;
        osGate.observe(err);
        s3Gate.observe(err);
        throw err;
      }
      // before the done marker: a crash in between replays the file and reports it again
      await detector.fileIndexed({ bucket: job.bucket, key: job.key, alert: job.alert !== false });
      await done.markDone(job);
      options.onCompleted?.(job, result);
      return result;
    },
    onFailed: options.onFailed,
  });
  let insights: LiveInsightsJob | undefined;
  try {
    if (options.insights) insights = await startLiveInsights(deps, options.insights);
  } catch (err) {
    await consumer.close();
    connection.disconnect();
    throw err;
  }
  logger.info({ queue: config.names.ingestQueue, concurrency: options.concurrency ?? config.ingest.workerConcurrency, liveInsights: Boolean(insights) }, 'worker started');
  return {
    async close() {
      abort.abort();
      retention.stop();
      await insights?.close();
      await detector.stop();
      await consumer.close();
      connection.disconnect();
    },
  };
}
