import { applyRetention } from '@trailscope/indexer';
import type { Config, Logger, OpenSearchClient } from '@trailscope/runtime';

export const DEFAULT_RETENTION_SWEEP_MS = 60 * 60 * 1000;

export interface RetentionSweeper {
  /** Runs one sweep now; resolves with the indices it deleted. */
  sweep(): Promise<string[]>;
  stop(): void;
}

/**
 * Deletes event indices past retention on a timer. Clusters without the ISM plugin (the embedded one among them)
 * have nothing else that enforces retention, and a long-running worker is the one process every deployment has.
 * A failed sweep is logged and tried again next interval: retention is never worth stopping ingestion for.
 */
export function startRetentionSweeper(
  deps: { opensearch: OpenSearchClient; config: Config; logger: Logger },
  options: { intervalMs?: number; now?: () => Date } = {},
): RetentionSweeper {
  const { opensearch, config, logger } = deps;
  const intervalMs = options.intervalMs ?? DEFAULT_RETENTION_SWEEP_MS;
  const now = options.now ?? (() => new Date());
  let running: Promise<string[]> | undefined;

  const sweep = (): Promise<string[]> => {
    running ??= applyRetention(opensearch, config, now())
      .then((deleted) => {
        if (deleted.length > 0) logger.info({ deleted, retentionDays: config.index.retentionDays }, 'deleted event indices past retention');
        return deleted;
      })
      .catch((err: unknown) => {
        logger.warn({ err }, 'retention sweep failed; retrying next interval');
        return [] as string[];
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  if (config.index.retentionDays <= 0) return { sweep: async () => [], stop: () => undefined };
  const timer = setInterval(() => void sweep(), intervalMs);
  timer.unref();
  void sweep();
  return { sweep, stop: () => clearInterval(timer) };
}
