import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { queueNameFor } from '@trailscope/model';
import type { Config, Logger } from '@trailscope/runtime';

/** The one scheduler of the live Insights job: upserting it under this id from any number of processes keeps one. */
export const INSIGHTS_SCHEDULER_ID = 'insights-live';

export function insightsQueueName(config: Pick<Config, 'names'>): string {
  return queueNameFor(config.names, 'insights');
}

export interface InsightsScheduleOptions {
  config: Pick<Config, 'names'>;
  connection: ConnectionOptions;
  everyMs: number;
  /** Runs once per tick, in one process at a time; `tickMs` is the time the tick was scheduled for. */
  run: (tickMs: number, jobId: string) => Promise<unknown>;
  /** How long a killed process keeps its tick before another process runs it again. */
  lockDurationMs?: number;
  logger?: Logger;
}

export interface InsightsSchedule {
  close(): Promise<void>;
}

/**
 * The live Insights job as a BullMQ job scheduler: every process that starts it upserts the same scheduler (one
 * job per tick whatever the number of processes) and consumes its queue with concurrency 1, so a tick runs in one
 * process. A tick whose process is killed is stalled and run again after its lock expires; each tick recomputes a
 * window of minutes, so a lost or repeated tick loses nothing and writes nothing twice (deterministic record ids).
 */
export async function startInsightsSchedule(options: InsightsScheduleOptions): Promise<InsightsSchedule> {
  const name = insightsQueueName(options.config);
  const queue = new Queue(name, { connection: options.connection });
  await queue.upsertJobScheduler(
    INSIGHTS_SCHEDULER_ID,
    { every: options.everyMs },
    { name: INSIGHTS_SCHEDULER_ID, data: {}, opts: { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } } },
  );
  const lockDuration = options.lockDurationMs ?? 30_000;
  const worker = new Worker(
    name,
    async (job: Job) => {
      await options.run(job.timestamp, String(job.id));
    },
    { connection: options.connection, concurrency: 1, lockDuration, stalledInterval: Math.max(1000, Math.floor(lockDuration / 2)), autorun: true },
  );
  worker.on('failed', (job, err) => {
    options.logger?.error({ jobId: job?.id, err }, 'live insights run failed; the next run covers its minutes');
  });
  worker.on('error', (err) => {
    options.logger?.warn({ err }, 'insights scheduler connection error');
  });
  return {
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}

/** Removes the scheduler (no further ticks anywhere), e.g. when live Insights are turned off. */
export async function removeInsightsSchedule(config: Pick<Config, 'names'>, connection: ConnectionOptions): Promise<void> {
  const queue = new Queue(insightsQueueName(config), { connection });
  try {
    await queue.removeJobScheduler(INSIGHTS_SCHEDULER_ID);
  } finally {
    await queue.close();
  }
}
