import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import type { Config } from '@trailscope/runtime';
import type { IngestJobData } from './ingest-job';

export type IngestQueue = Queue<IngestJobData>;

/**
 * Job options of every ingest job.
 * - Completed jobs stay for an hour (at most 10,000): long enough that a listing racing a finishing worker does not
 *   enqueue the file again, while Redis memory stays bounded. Skipping work on later runs is the done-tracker's job.
 * - Failed jobs stay (bounded) because `trailscope failed` lists and retries them.
 */
export function ingestJobOptions(config: Config): JobsOptions {
  return {
    attempts: config.ingest.jobAttempts,
    backoff: { type: 'exponential', delay: 1000, jitter: 0.5 },
    removeOnComplete: { age: 3600, count: 10000 },
    removeOnFail: { age: 30 * 24 * 3600, count: 20000 },
    stackTraceLimit: 2,
  };
}

export function createIngestQueue(config: Config, connection: ConnectionOptions): IngestQueue {
  return new Queue<IngestJobData>(config.names.ingestQueue, { connection, defaultJobOptions: ingestJobOptions(config) });
}

/** Jobs not yet finished: what a backfill waits for and what backpressure bounds. */
export async function pendingCounts(queue: IngestQueue): Promise<{ waiting: number; delayed: number; active: number; total: number }> {
  const c = await queue.getJobCounts('waiting', 'prioritized', 'paused', 'delayed', 'active', 'waiting-children');
  const waiting = (c.waiting ?? 0) + (c.prioritized ?? 0) + (c.paused ?? 0) + (c['waiting-children'] ?? 0);
  const delayed = c.delayed ?? 0;
  const active = c.active ?? 0;
  return { waiting, delayed, active, total: waiting + delayed + active };
}
