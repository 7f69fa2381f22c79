import { sleep, type Logger } from '@trailscope/runtime';
import { CheckpointStore } from './checkpoint-store';
import { runIngestPass, type PassDeps, type PassStats } from './ingest-pass';
import type { PlanOptions } from './plan-streams';
import type { Redis } from '@trailscope/runtime';

export interface PollerOptions extends Omit<PlanOptions, 'checkpoints'> {
  intervalMs: number;
  /** One cycle, then return. */
  once?: boolean;
  redis: Redis;
  redisPrefix: string;
  signal?: AbortSignal;
  logger?: Logger;
  onCycle?: (stats: PassStats) => void;
}

/**
 * Tails a bucket: each cycle is one ingest pass from the per-stream checkpoints, then the checkpoints advance.
 * Listing errors are logged and retried next cycle (a stream whose listing failed keeps its old checkpoint).
 */
export async function runPoller(deps: PassDeps, options: PollerOptions): Promise<PassStats | undefined> {
  const store = new CheckpointStore(options.redis, options.redisPrefix, options.bucket);
  let last: PassStats | undefined;
  for (let cycle = 1; !options.signal?.aborted; cycle++) {
    const started = Date.now();
    try {
      const checkpoints = await store.getAll();
      last = await runIngestPass(deps, { ...options, checkpoints });
      for (const [root, key] of last.lastKeyByStream) {
        const prev = checkpoints.get(root);
        if (!prev || key > prev) await store.set(root, key);
      }
      options.logger?.info(
        {
          cycle,
          streams: last.streams,
          partitions: last.partitions,
          filesListed: last.filesListed,
          filesQueued: last.filesQueued,
          filesAdopted: last.filesAdopted,
          filesAlreadyIndexed: last.filesAlreadyIndexed,
          filesPreviouslyFailed: last.filesPreviouslyFailed,
          skipped: last.skipped,
          listingErrors: last.listingErrors.length,
          durationMs: Date.now() - started,
        },
        'poll cycle done',
      );
      options.onCycle?.(last);
    } catch (err) {
      if (options.once) throw err;
      options.logger?.error({ cycle, err }, 'poll cycle failed, retrying next cycle');
    }
    if (options.once) break;
    await sleep(options.intervalMs, options.signal);
  }
  return last;
}
