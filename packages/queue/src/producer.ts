import { sleep, type Logger, type Redis } from '@trailscope/runtime';
import { TrailscopeError } from '@trailscope/model';
import { pendingCounts, type IngestQueue } from './ingest-queue';
import { jobIdFor } from './job-id';
import type { IngestJobData } from './ingest-job';

export interface EnqueueResult {
  /** New jobs added. */
  queued: number;
  /** Jobs that already existed and are still to run (a previous run was interrupted): adopted, not added twice. */
  adopted: number;
  /** Jobs that already existed in the failed state: reported, retried only by `trailscope failed --retry`. */
  failed: IngestJobData[];
  /** Jobs that already existed in the completed state. */
  completed: number;
}

export interface ProducerOptions {
  queue: IngestQueue;
  /** Plain Redis connection for existence checks of job keys. */
  redis: Redis;
  /** Most jobs allowed to wait (waiting + delayed) before enqueueing pauses: the Redis memory bound of a backfill. */
  maxWaitingJobs: number;
  logger?: Logger;
  /** Stops waiting for capacity (shutdown). */
  signal?: AbortSignal;
  /** How often to re-check the queue depth while it is full. */
  pollMs?: number;
}

/** Enqueues log files with deterministic ids and backpressure. */
export class Producer {
  private readonly queue: IngestQueue;
  private readonly max: number;

  constructor(private readonly options: ProducerOptions) {
    this.queue = options.queue;
    this.max = options.maxWaitingJobs;
  }

  /** Resolves with how many jobs may be added now without exceeding the bound; waits while there is no room. */
  async waitForCapacity(): Promise<number> {
    let lastLogMs = 0;
    for (;;) {
      this.throwIfAborted();
      const c = await pendingCounts(this.queue);
      const room = this.max - (c.waiting + c.delayed);
      if (room > 0) return room;
      if (Date.now() - lastLogMs > 30000) {
        lastLogMs = Date.now();
        this.options.logger?.info({ waiting: c.waiting, delayed: c.delayed, active: c.active, maxWaitingJobs: this.max }, 'queue full, waiting for workers');
      }
      await sleep(this.options.pollMs ?? 250, this.options.signal);
    }
  }

  private throwIfAborted(): void {
    if (this.options.signal?.aborted) throw new TrailscopeError('INTERNAL', 'enqueueing interrupted by shutdown');
  }

  /** Adds the files not already queued; never holds more than maxWaitingJobs waiting jobs. */
  async enqueue(files: IngestJobData[]): Promise<EnqueueResult> {
    const result: EnqueueResult = { queued: 0, adopted: 0, failed: [], completed: 0 };
    let i = 0;
    while (i < files.length) {
      const room = await this.waitForCapacity();
      const batch = files.slice(i, i + Math.min(room, 500));
      i += batch.length;
      const fresh = await this.sortExisting(batch, result);
      if (fresh.length > 0) {
        await this.queue.addBulk(fresh.map((data) => ({ name: 'ingest', data, opts: { jobId: jobIdFor(data) } })));
        result.queued += fresh.length;
      }
    }
    return result;
  }

  /** BullMQ ignores an add whose id exists; look first so that the caller learns what happened to each file. */
  private async sortExisting(batch: IngestJobData[], result: EnqueueResult): Promise<IngestJobData[]> {
    const client = this.options.redis;
    // Commands sent together share round trips on the one connection, like a pipeline.
    const exists = await Promise.all(batch.map(async (f) => (await client.exists(this.queue.toKey(jobIdFor(f)))) === 1));
    const fresh: IngestJobData[] = [];
    for (let j = 0; j < batch.length; j++) {
      const f = batch[j] as IngestJobData;
      if (!exists[j]) {
        fresh.push(f);
        continue;
      }
      const state = await this.queue.getJobState(jobIdFor(f));
      if (state === 'failed') result.failed.push(f);
      else if (state === 'completed') result.completed += 1;
      else if (state === 'unknown') fresh.push(f);
      else result.adopted += 1;
    }
    return fresh;
  }
}
