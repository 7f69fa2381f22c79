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
  /** `{alert}` (one alert), `{alerts}` (several, delivered in order), or `{summary}` (the end of a throttling window). */
  data: Record<string, unknown>;
  /** Not before this time (summaries at the end of a throttling window). */
  delayMs?: number;
  /** Ahead of the waiting jobs (an alert set apart from its batch to be dead-lettered). */
  first?: boolean;
}

/** How many alerts a job holds. */
export function alertsInJob(data: Record<string, unknown>): number {
  return Array.isArray(data.alerts) ? data.alerts.length : 1;
}

// Keys of trailscope's own beside a queue's BullMQ keys (same hash tag, wiped and obliterated with the queue):
// alerts held per job not yet finished, their total, and the alerts already delivered (or set apart), by time.
const HELD = 'ts:held';
const HELD_TOTAL = 'ts:held-total';
const DONE = 'ts:done';

// A job is counted once, and only when its add is new: a job id BullMQ already holds (a replayed pass) adds nothing.
const COUNT_HELD = `
for i = 1, #ARGV, 2 do
  if redis.call('EXISTS', KEYS[3] .. ARGV[i]) == 0 and redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1]) == 1 then
    redis.call('INCRBY', KEYS[2], ARGV[i + 1])
  end
end
return 0`;
// a failed job retried by hand is held again
const HOLD_AGAIN = `
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('INCRBY', KEYS[2], ARGV[2])
end
return 0`;
const RELEASE_HELD = `
local n = redis.call('HGET', KEYS[1], ARGV[1])
if n then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('DECRBY', KEYS[2], n)
end
return 0`;

type ScriptClient = { eval(script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown> };

export async function addAlertJobs(queue: AlertQueue, jobs: AlertJob[]): Promise<void> {
  if (jobs.length === 0) return;
  // counted before the add: a crash between the two leaves a count that the job, queued again by reconciliation
  // from its outbox record, releases when it finishes
  const client = (await queue.client) as unknown as ScriptClient;
  await client.eval(COUNT_HELD, 3, queue.toKey(HELD), queue.toKey(HELD_TOTAL), queue.toKey(''), ...jobs.flatMap((j) => [j.jobId, alertsInJob(j.data)]));
  await queue.addBulk(
    jobs.map((j) => ({
      name: 'alert',
      data: j.data,
      opts: {
        jobId: j.jobId,
        delay: j.delayMs && j.delayMs > 0 ? j.delayMs : undefined,
        lifo: j.first === true ? true : undefined,
        // the retry time limit, not the attempt count, ends retries (the processor gives up after maxRetryMs)
        attempts: 1_000_000,
        backoff: { type: 'alert' },
        removeOnComplete: { age: ALERT_DEDUP_KEEP_S },
        removeOnFail: false,
      },
    })),
  );
}

/** Alerts in the queue's jobs not finished yet (waiting, delayed, being retried): what `delivery.maxQueued` bounds. */
export async function heldAlerts(queue: AlertQueue): Promise<number> {
  const client = (await queue.client) as unknown as { get(key: string): Promise<string | null> };
  return Number((await client.get(queue.toKey(HELD_TOTAL))) ?? 0);
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
  process: (data: Record<string, unknown>, job: AlertJobRun) => Promise<void>;
  lockDurationMs?: number;
  logger?: Logger;
}

/** What a processor knows of the job it runs, and the queue's record of delivered alerts. */
export interface AlertJobRun {
  id: string;
  /** When the job was due (or retried by hand): its retry time runs from then. */
  firstAttemptMs: number;
  /** 1 for the first attempt of the job, counting retries in order and restarts. */
  attempt: number;
  /** The failed attempts of `alertId` so far in this job (0 before its first failure). */
  failuresOf(alertId: string): number;
  /** Records one more failed attempt of `alertId` (the job's later alerts wait behind it). */
  failed(alertId: string): Promise<number>;
  /** Which of these alerts were already delivered (or set apart) by this queue. */
  doneAmong(alertIds: string[]): Promise<Set<string>>;
  /** Records alerts as delivered; resolves once Redis has them. */
  done(alertIds: string[]): Promise<void>;
}

type WorkerClient = ScriptClient & {
  zmscore(key: string, ...members: string[]): Promise<Array<string | null>>;
  zadd(key: string, ...scoreMembers: Array<string | number>): Promise<unknown>;
  zremrangebyscore(key: string, min: string | number, max: string | number): Promise<unknown>;
};

/**
 * The sender of one destination: one job at a time, in the order they were queued, a failed delivery retried before
 * any later alert (RetryInOrder). A job whose sender is killed is stalled and sent again after its lock expires
 * (same idempotency key), ahead of the waiting ones; the alerts of a batch already delivered are skipped then.
 */
export function createAlertWorker(options: AlertWorkerOptions): Worker {
  const lockDuration = options.lockDurationMs ?? 30_000;
  const key = (type: string) => worker.toKey(type);
  let lastTrimMs = 0;
  const worker = new Worker(
    alertQueueName(options.config, options.destination),
    async (job: Job) => {
      const data = job.data as Record<string, unknown>;
      const client = (await worker.client) as unknown as WorkerClient;
      const progress = (job.progress && typeof job.progress === 'object' ? job.progress : {}) as { alertId?: string; failures?: number };
      // a job retried by hand gets its retry time again from then
      const since = typeof data.retriedAtMs === 'number' ? data.retriedAtMs : job.timestamp + (job.opts.delay ?? 0);
      const run: AlertJobRun = {
        id: job.id ?? '',
        firstAttemptMs: since,
        attempt: Math.max(1, job.attemptsStarted),
        failuresOf: (alertId) => (progress.alertId === alertId ? (progress.failures ?? 0) : 0),
        async failed(alertId) {
          const failures = run.failuresOf(alertId) + 1;
          await job.updateProgress({ alertId, failures });
          return failures;
        },
        async doneAmong(alertIds) {
          if (alertIds.length === 0) return new Set();
          const scores = await client.zmscore(key(DONE), ...alertIds);
          return new Set(alertIds.filter((_, i) => scores[i] !== null));
        },
        async done(alertIds) {
          if (alertIds.length === 0) return;
          const now = Date.now();
          await client.zadd(key(DONE), ...alertIds.flatMap((id) => [now, id]));
          // as long as BullMQ keeps a sent job, so that a replay queued under another job id is recognised too
          if (now - lastTrimMs > 60_000) {
            lastTrimMs = now;
            await client.zremrangebyscore(key(DONE), '-inf', now - ALERT_DEDUP_KEEP_S * 1000);
          }
        },
      };
      const release = () => client.eval(RELEASE_HELD, 2, key(HELD), key(HELD_TOTAL), job.id ?? '');
      try {
        await options.process(data, run);
      } catch (err) {
        if (err instanceof UnrecoverableError) await release();
        if (!(err instanceof RetryInOrder)) throw err;
        // the queue waits (BullMQ's rate limit); the job goes back to the head of the waiting list
        await worker.rateLimit(Math.max(1, err.delayMs));
        throw Worker.RateLimitError();
      }
      await release();
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

/** Moves every failed job back to its queue; returns how many alerts they hold. */
export async function retryFailedAlerts(queue: AlertQueue): Promise<number> {
  let n = 0;
  for (const f of await listFailedAlerts(queue, '')) {
    const job = await queue.getJob(f.jobId);
    if (!job) continue;
    // an alert set apart from its batch to be dead-lettered is delivered when retried
    const { deadLetter: _deadLetter, ...data } = job.data;
    await job.updateData({ ...data, retriedAtMs: Date.now() });
    const client = (await queue.client) as unknown as ScriptClient;
    await client.eval(HOLD_AGAIN, 2, queue.toKey(HELD), queue.toKey(HELD_TOTAL), f.jobId, alertsInJob(data));
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    n += alertsInJob(data);
  }
  return n;
}
