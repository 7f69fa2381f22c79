import type { Command } from 'commander';
import { runPoller } from '@trailscope/poller';
import { createIngestQueue, DoneTracker, Producer } from '@trailscope/queue';
import { createLogger, createOpenSearchClient, createRedis, createS3Client, createShutdown } from '@trailscope/runtime';
import { syncIngestState } from '@trailscope/worker';
import { configFrom } from '../context';
import { parseList, parsePositiveInt } from '../flags/value-parsers';
import { parseSelection, type SelectionFlags } from '../ingest/flags';

interface PollFlags extends SelectionFlags {
  intervalMs?: number;
  once?: boolean;
}

export function registerPollCommand(program: Command): void {
  program
    .command('poll')
    .description(
      'Tail a trail bucket: every interval, list new log files per account/region/delivery day and queue them for `trailscope worker`. Keeps a per-stream checkpoint in Redis and always re-lists the last two delivery days, so files delivered out of order are never missed.',
    )
    .requiredOption('--bucket <bucket>', 'S3 bucket the trail delivers to')
    .option('--prefix <prefix>', 'key prefix of the trail (the part before AWSLogs/)')
    .option('--interval-ms <n>', 'pause between cycles (default TRAILSCOPE_POLL_INTERVAL_MS)', parsePositiveInt)
    .option('--once', 'run one cycle, print its summary as JSON and exit')
    .option('--from <YYYY-MM-DD>', 'first S3 delivery-date folder for streams without a checkpoint (default: all history)')
    .option('--account <id>', 'only these 12-digit accounts (repeatable, or comma-separated)', parseList)
    .option('--region <region>', 'only these regions (repeatable, or comma-separated)', parseList)
    .action(async (opts: PollFlags, cmd: Command) => {
      const sel = parseSelection(opts);
      const config = configFrom(cmd);
      const logger = createLogger({ level: config.logLevel, name: 'poll' });
      const abort = new AbortController();
      const shutdown = createShutdown(0);
      const redis = createRedis(config);
      const s3 = createS3Client(config);
      const queue = createIngestQueue(config, redis);
      const producer = new Producer({ queue, redis, maxWaitingJobs: config.ingest.maxWaitingJobs, logger, signal: abort.signal });
      const done = new DoneTracker(redis, config.names.redisPrefix);
      shutdown.add(async () => {
        redis.disconnect();
      });
      shutdown.add(() => queue.close());
      shutdown.add(() => abort.abort());
      shutdown.listen();
      // Best effort, as in backfill: the poller itself needs no OpenSearch.
      const opensearch = createOpenSearchClient(config);
      await syncIngestState({ opensearch, redis, config, logger })
        .catch((err: unknown) => logger.warn({ err }, 'could not compare Redis ingest state with the event store'))
        .finally(() => opensearch.close());
      logger.info({ bucket: sel.bucket, prefix: sel.prefix ?? '', intervalMs: opts.intervalMs ?? config.ingest.pollIntervalMs }, 'poller started');
      try {
        const last = await runPoller(
          { s3, producer, done, logger },
          {
            ...sel,
            to: undefined,
            concurrency: config.ingest.listConcurrency,
            intervalMs: opts.intervalMs ?? config.ingest.pollIntervalMs,
            once: opts.once,
            redis,
            redisPrefix: config.names.redisPrefix,
            signal: abort.signal,
            logger,
          },
        );
        if (opts.once && last) {
          const { lastKeyByStream: _checkpoints, previouslyFailed, ...rest } = last;
          process.stdout.write(`${JSON.stringify({ ...rest, previouslyFailed: previouslyFailed.map((f) => f.key) })}\n`);
          if (last.listingErrors.length > 0) process.exitCode = 1;
        }
      } finally {
        await queue.close();
        redis.disconnect();
      }
    });
}
