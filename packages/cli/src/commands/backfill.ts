import type { Command } from 'commander';
import { errorMessageOf } from '@trailscope/model';
import { runIngestPass } from '@trailscope/poller';
import { createIngestQueue, DoneTracker, pendingCounts, Producer } from '@trailscope/queue';
import { createLogger, createOpenSearchClient, createRedis, createS3Client, createShutdown, redisRunId } from '@trailscope/runtime';
import { startWorker, syncIngestState, type RunningWorker } from '@trailscope/worker';
import { configFrom } from '../context';
import { parseList, parsePositiveInt } from '../flags/value-parsers';
import { parseSelection, type SelectionFlags } from '../ingest/flags';
import { IngestTally } from '../ingest/ingest-tally';
import { createProgress } from '../ingest/progress';

interface BackfillFlags extends SelectionFlags {
  wait?: boolean;
  json?: boolean;
  concurrency?: number;
  alert?: boolean;
}

const MAX_PASSES = 5;

export function registerBackfillCommand(program: Command): void {
  program
    .command('backfill')
    .description(
      'Queue every CloudTrail log file of a bucket (optionally a date range of S3 delivery-date folders, accounts, regions) for ingestion; with --wait, ingest them in this process and print a summary. Safe to interrupt and run again: indexed files are not redone and no event is duplicated.',
    )
    .requiredOption('--bucket <bucket>', 'S3 bucket the trail delivers to')
    .option('--prefix <prefix>', 'key prefix of the trail (the part before AWSLogs/)')
    .option('--from <YYYY-MM-DD>', 'first S3 delivery-date folder to ingest (UTC; selects folders, not event times: a file delivered that day can hold events of the day before)')
    .option('--to <YYYY-MM-DD>', 'last S3 delivery-date folder to ingest, inclusive (UTC delivery date, not event time)')
    .option('--account <id>', 'only these 12-digit accounts (repeatable, or comma-separated)', parseList)
    .option('--region <region>', 'only these regions (repeatable, or comma-separated)', parseList)
    .option('--wait', 'run workers in this process until every queued file is indexed or failed, then print a summary')
    .option('--concurrency <n>', 'files processed in parallel with --wait (default TRAILSCOPE_WORKER_CONCURRENCY)', parsePositiveInt)
    .option('--alert', 'alert on the findings of these files as live detection does (without it, findings are recorded and nobody is paged)')
    .option('--json', 'print the summary as one JSON object on the last line')
    .action(async (opts: BackfillFlags, cmd: Command) => {
      const sel = parseSelection(opts);
      const config = configFrom(cmd);
      const tty = Boolean(process.stderr.isTTY) && !opts.json;
      // Under a progress bar, info lines would tear it apart: lifecycle lines are left to the bar and the summary.
      const logger = createLogger({ level: tty && config.logLevel === 'info' ? 'warn' : config.logLevel, name: 'backfill' });
      const shutdown = createShutdown();
      const abort = new AbortController();
      const redis = createRedis(config);
      const s3 = createS3Client(config);
      const queue = createIngestQueue(config, redis);
      const producer = new Producer({ queue, redis, maxWaitingJobs: config.ingest.maxWaitingJobs, logger, signal: abort.signal });
      const done = new DoneTracker(redis, config.names.redisPrefix);
      const tally = new IngestTally();
      let worker: RunningWorker | undefined;
      const opensearch = createOpenSearchClient(config);
      shutdown.add(async () => {
        redis.disconnect();
      });
      shutdown.add(() => queue.close());
      shutdown.add(async () => {
        abort.abort();
        logger.warn({}, 'interrupted: queued jobs stay in Redis; run the same backfill again to finish');
        await worker?.close();
      });
      shutdown.listen();

      const progress = createProgress(tally, logger, { tty });
      try {
        if (opts.wait) {
          worker = await startWorker(
            { config, logger, s3, opensearch, redis },
            {
              concurrency: opts.concurrency,
              // `setup` is the documented way; a backfill installs missing templates so that a first run just works.
              installTemplates: true,
              onCompleted: (_job, result) => {
                tally.completed(result);
                progress.update();
              },
              onFailed: (job, f) => {
                tally.failed(job?.key, f.code, f.final);
                progress.update();
              },
            },
          );
        }
        if (!opts.wait) {
          // Workers elsewhere do this at start; without them here, Redis may still remember files of a store that is
          // gone. Best effort: enqueueing needs no OpenSearch, so its absence must not stop the backfill.
          await syncIngestState({ opensearch, redis, config, logger }).catch((err: unknown) =>
            logger.warn({ err }, 'could not compare Redis ingest state with the event store'),
          );
        }
        let runId = await redisRunId(redis);
        for (let pass = 1; pass <= MAX_PASSES && !abort.signal.aborted; pass++) {
          const stats = await runIngestPass(
            { s3, producer, done, logger },
            { ...sel, alert: opts.alert === true, concurrency: config.ingest.listConcurrency, signal: abort.signal, onProgress: () => progress.update() },
          );
          tally.addPass(stats);
          progress.update();
          logger.info({ pass, partitions: stats.partitions, filesListed: stats.filesListed, filesQueued: stats.filesQueued + stats.filesAdopted, filesAlreadyIndexed: stats.filesAlreadyIndexed }, 'listing done');
          if (!opts.wait) break;
          await waitForDrain(queue, abort.signal);
          const now = await redisRunId(redis);
          if (now === runId) break;
          // A restarted Redis without persistence lost the queue and the done sets: list again; the idempotent
          // writes make re-processing harmless.
          logger.warn({ pass }, 'Redis restarted during the backfill, listing again to recover lost jobs');
          runId = now;
        }
        // Make what was indexed searchable before returning, instead of after the next periodic refresh.
        if (opts.wait && !abort.signal.aborted) {
          await opensearch.indices
            .refresh({ index: config.names.eventIndexPattern, ignore_unavailable: true, allow_no_indices: true })
            .catch((err: unknown) => logger.warn({ err }, 'refresh after backfill failed'));
        }
      } finally {
        progress.stop();
        await worker?.close();
        await queue.close();
        redis.disconnect();
        await opensearch.close();
      }
      if (abort.signal.aborted) return;
      const summary = tally.summary({ waited: Boolean(opts.wait) });
      if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else printHuman(summary);
      if (tally.filesFailed > 0 || tally.listingErrors > 0) process.exitCode = 1;
    });
}

async function waitForDrain(queue: ReturnType<typeof createIngestQueue>, signal: AbortSignal): Promise<void> {
  // Drained means nothing waiting, delayed (a retry backing off) or running, seen twice in a row so that a job
  // moving between lists is not mistaken for an empty queue.
  let emptySeen = 0;
  while (!signal.aborted) {
    try {
      const c = await pendingCounts(queue);
      emptySeen = c.total === 0 ? emptySeen + 1 : 0;
      if (emptySeen >= 2) return;
    } catch (err) {
      emptySeen = 0;
      if (!signal.aborted) process.stderr.write(`trailscope: waiting for Redis: ${errorMessageOf(err)}\n`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

function printHuman(s: Record<string, unknown>): void {
  const lines = [
    `files queued:          ${String(s.filesQueued)}`,
    `files indexed:         ${String(s.filesIndexed)}`,
    `files failed:          ${String(s.filesFailed)}${Number(s.filesFailed) > 0 ? '  (see: trailscope failed)' : ''}`,
    `files already indexed: ${String(s.filesAlreadyIndexed)}`,
    `events indexed:        ${String(s.eventsIndexed)}`,
    `duplicates:            ${String(s.duplicates)}`,
    `dead-lettered records: ${String(s.deadLettered)}${Number(s.deadLettered) > 0 ? '  (see: trailscope dlq)' : ''}`,
    `conflicts:             ${String(s.conflicts)}${Number(s.conflicts) > 0 ? '  (see: trailscope conflicts)' : ''}`,
    `skipped objects:       ${JSON.stringify(s.skipped)}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
