import { UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { ERROR_CODES, errorCodeOf, type ErrorCode } from '@trailscope/model';
import type { Config, Logger } from '@trailscope/runtime';
import { parseIngestJob, type IngestJobData } from './ingest-job';
import { formatFailure, parseFailure } from './failure-reason';

export interface JobContext {
  jobId: string;
  /** 1 on the first attempt. */
  attempt: number;
}

export type IngestProcessor<R> = (data: IngestJobData, ctx: JobContext) => Promise<R>;

export interface ConsumerOptions<R> {
  config: Config;
  connection: ConnectionOptions;
  processor: IngestProcessor<R>;
  concurrency?: number;
  /** How long a job stays owned by a worker that stopped renewing it (killed) before another worker takes it over. */
  lockDurationMs?: number;
  logger?: Logger;
  onCompleted?: (data: IngestJobData, result: R, jobId: string) => void;
  /** Called on every failed attempt; `final` when the job will not be retried. */
  onFailed?: (data: IngestJobData | undefined, failure: { code: ErrorCode; message: string; attemptsMade: number; final: boolean }) => void;
}

/**
 * An error is permanent when it carries one of our codes marked non-retryable (a broken file stays broken).
 * Foreign errors without a code may be transient and get the bounded attempts.
 */
function isPermanent(err: unknown): boolean {
  const code = errorCodeOf(err);
  if (code !== 'INTERNAL') return !ERROR_CODES[code].retryable;
  return err !== null && typeof err === 'object' && (err as { name?: string }).name === 'TrailscopeError';
}

/** A BullMQ worker for ingest jobs: validates job data, and turns our error codes into retry decisions. */
export function createIngestConsumer<R>(options: ConsumerOptions<R>): Worker<IngestJobData, R> {
  const { config, logger } = options;
  const lockDuration = options.lockDurationMs ?? 30000;
  const worker = new Worker<IngestJobData, R>(
    config.names.ingestQueue,
    async (job: Job<IngestJobData, R>) => {
      const jobId = job.id ?? '';
      try {
        const data = parseIngestJob(job.data, jobId);
        return await options.processor(data, { jobId, attempt: job.attemptsMade + 1 });
      } catch (err) {
        const reason = formatFailure(err);
        if (isPermanent(err)) throw new UnrecoverableError(reason);
        const retryable = new Error(reason);
        retryable.cause = err;
        throw retryable;
      }
    },
    {
      connection: options.connection,
      concurrency: options.concurrency ?? config.ingest.workerConcurrency,
      lockDuration,
      stalledInterval: Math.max(1000, Math.floor(lockDuration / 2)),
      // A job whose worker was killed is stalled, not broken: allow as many takeovers as attempts.
      maxStalledCount: config.ingest.jobAttempts,
      autorun: true,
    },
  );
  worker.on('completed', (job, result) => {
    options.onCompleted?.(job.data, result, job.id ?? '');
  });
  worker.on('failed', (job, err) => {
    const { code, message } = parseFailure(job?.failedReason ?? err.message);
    const attemptsMade = job?.attemptsMade ?? 0;
    const final = !job || err instanceof UnrecoverableError || err.name === 'UnrecoverableError' || attemptsMade >= (job.opts.attempts ?? 1);
    const fields = { jobId: job?.id, key: job?.data?.key, code, attemptsMade, final };
    if (final) logger?.error({ ...fields, reason: message }, 'log file failed permanently');
    else logger?.warn({ ...fields, reason: message }, 'log file attempt failed, will retry');
    options.onFailed?.(job?.data, { code, message, attemptsMade, final });
  });
  worker.on('error', (err) => {
    // Redis restarts and connection drops land here; BullMQ reconnects and resumes on its own.
    logger?.warn({ err }, 'queue worker error, continuing');
  });
  return worker;
}
