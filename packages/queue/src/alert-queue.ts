import { Queue, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { queueNameFor } from '@trailscope/model';
import type { Config, Logger } from '@trailscope/runtime';

/** One queue per destination: a dead destination backs up only its own queue. */
export function alertQueueName(config: Pick<Config, 'names'>, destination: string): string {
  return queueNameFor(config.names, `alerts-${destination}`);
}

export type AlertQueue = Queue<Record<string, unknown>>;

/** Sent jobs are kept this long so that an alert enqueued again (a replayed pass) is recognised and not sent twice. */
export const ALERT_DEDUP_KEEP_S = 7 * 86_400;

export function createAlertQueue(config: Pick<Config, 'names'>, destination: string, connection: ConnectionOptions): AlertQueue {
  return new Queue(alertQueueName(config, destination), { connection });
}

export interface AlertJob {
  /** Deterministic: BullMQ ignores a second add with the same id. */
  jobId: string;
  data: Record<string, unknown>;
  /** Not before this time (summaries at the end of a throttling window). */
  delayMs?: number;
}

export async function addAlertJobs(queue: AlertQueue, jobs: AlertJob[]): Promise<void> {
  if (jobs.length === 0) return;
  await queue.addBulk(
    jobs.map((j) => ({
      name: 'alert',
      data: j.data,
      opts: {
        jobId: j.jobId,
        delay: j.delayMs && j.delayMs > 0 ? j.delayMs : undefined,
        // the retry time limit, not the attempt count, ends retries (the processor gives up after maxRetryMs)
        attempts: 1_000_000,
        backoff: { type: 'alert' },
        removeOnComplete: { age: ALERT_DEDUP_KEEP_S },
        removeOnFail: false,
      },
    })),
  );
}

/**
 * Raised by a processor for a failure worth retrying: the job goes back to the head of its queue and the whole queue
 * waits `delayMs`, so the alerts after it are not sent before it (a BullMQ retry would move it to the delayed set
 * and let the next ones pass, and jitter would shuffle them).
 */
export class RetryInOrder extends Error {
  override readonly name = 'RetryInOrder';
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
  }
}

/** Raised by a processor for a failure retrying cannot fix (a 4xx, the retry time spent): the job is dead-lettered. */
export function permanentAlertFailure(message: string): Error {
  return new UnrecoverableError(message);
}

export interface AlertWorkerOptions {
  config: Pick<Config, 'names'>;
  destination: string;
  connection: ConnectionOptions;
  /** Delay before attempt `attemptsMade + 1` after an error other than RetryInOrder (Redis or OpenSearch trouble). */
  backoffMs: (attemptsMade: number) => number;
  /** `attempt`: 1 for the first delivery attempt of the job, counting retries in order and restarts. */
  process: (data: Record<string, unknown>, job: { id: string; firstAttemptMs: number; attempt: number }) => Promise<void>;
  lockDurationMs?: number;
  logger?: Logger;
}

/**
 * The sender of one destination: one job at a time, in the order they were queued, a failed delivery retried before
 * any later alert (RetryInOrder). A job whose sender is killed is stalled and sent again after its lock expires
 * (same idempotency key), ahead of the waiting ones.
 */
export function createAlertWorker(options: AlertWorkerOptions): Worker {
  const lockDuration = options.lockDurationMs ?? 30_000;
  const worker = new Worker(
    alertQueueName(options.config, options.destination),
    async (job: Job) => {
      const data = job.data as Record<string, unknown>;
      // a job retried by hand gets its retry time again from then
      const since = typeof data.retriedAtMs === 'number' ? data.retriedAtMs : job.timestamp + (job.opts.delay ?? 0);
      try {
        await options.process(data, { id: job.id ?? '', firstAttemptMs: since, attempt: Math.max(1, job.attemptsStarted) });
      } catch (err) {
        if (!(err instanceof RetryInOrder)) throw err;
        // the queue waits (BullMQ's rate limit); the job goes back to the head of the waiting list
        await worker.rateLimit(Math.max(1, err.delayMs));
        throw Worker.RateLimitError();
      }
    },
    {
      connection: options.connection,
      concurrency: 1,
      lockDuration,
      stalledInterval: Math.max(1000, Math.floor(lockDuration / 2)),
      maxStalledCount: 1_000_000,
      settings: { backoffStrategy: (attemptsMade: number) => options.backoffMs(attemptsMade) },
      // BullMQ honours a manual rate limit only on a worker with a limiter; this one never limits by itself
      limiter: { max: Number.MAX_SAFE_INTEGER - 1, duration: 1000 },
      autorun: true,
    },
  );
  worker.on('error', (err) => {
    options.logger?.warn({ err, destination: options.destination }, 'alert sender connection error, continuing');
  });
  return worker;
}

export interface FailedAlert {
  destination: string;
  jobId: string;
  data: Record<string, unknown>;
  reason: string;
  attempts: number;
  failedAt?: string;
}

export async function listFailedAlerts(queue: AlertQueue, destination: string): Promise<FailedAlert[]> {
  const out: FailedAlert[] = [];
  for (let start = 0; ; start += 500) {
    const jobs = await queue.getFailed(start, start + 499);
    for (const job of jobs) {
      if (!job) continue;
      out.push({ destination, jobId: job.id ?? '', data: job.data, reason: job.failedReason, attempts: Math.max(job.attemptsMade, job.attemptsStarted), failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : undefined });
    }
    if (jobs.length < 500) return out;
  }
}

export async function retryFailedAlerts(queue: AlertQueue): Promise<number> {
  let n = 0;
  for (const f of await listFailedAlerts(queue, '')) {
    const job = await queue.getJob(f.jobId);
    if (!job) continue;
    await job.updateData({ ...job.data, retriedAtMs: Date.now() });
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    n++;
  }
  return n;
}
