import type { Command } from 'commander';
import { loadInsightsConfig } from '@trailscope/insights';
import { createLogger, createOpenSearchClient, createRedis, createS3Client, createShutdown } from '@trailscope/runtime';
import { startWorker } from '@trailscope/worker';
import { configFrom } from '../context';
import { parsePositiveInt } from '../flags/value-parsers';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description(
      'Process queued log files until stopped: stream each from S3, parse it and bulk-index its events into OpenSearch. Survives S3, OpenSearch and Redis outages (retries with bounded backoff). Also takes part in the live Insights job (one tick at a time across all workers; TRAILSCOPE_INSIGHTS_LIVE=false leaves it out). Requires the index templates (`trailscope setup`).',
    )
    .option('--concurrency <n>', 'files processed in parallel (default TRAILSCOPE_WORKER_CONCURRENCY)', parsePositiveInt)
    .action(async (opts: { concurrency?: number }, cmd: Command) => {
      const config = configFrom(cmd);
      const insights = loadInsightsConfig();
      const logger = createLogger({ level: config.logLevel, name: 'worker' });
      const redis = createRedis(config);
      const opensearch = createOpenSearchClient(config);
      const s3 = createS3Client(config);
      const totals = { files: 0, events: 0, duplicates: 0, deadLettered: 0, conflicts: 0, failed: 0 };
      const worker = await startWorker(
        { config, logger, s3, opensearch, redis },
        {
          concurrency: opts.concurrency,
          insights: insights.live ? insights : undefined,
          onCompleted: (_job, r) => {
            totals.files += 1;
            totals.events += r.events;
            totals.duplicates += r.duplicates;
            totals.deadLettered += r.deadLettered;
            totals.conflicts += r.conflicts;
          },
          onFailed: (_job, f) => {
            if (f.final) totals.failed += 1;
          },
        },
      );
      const timer = setInterval(() => logger.info({ ...totals }, 'worker progress'), 60000);
      timer.unref();
      const stopped = new Promise<void>((resolve) => {
        const shutdown = createShutdown(0);
        shutdown.add(async () => {
          redis.disconnect();
          await opensearch.close();
          resolve();
        });
        shutdown.add(async () => {
          clearInterval(timer);
          logger.info({ ...totals }, 'worker stopping');
          await worker.close();
        });
        shutdown.listen();
      });
      await stopped;
    });
}
