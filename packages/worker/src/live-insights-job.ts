import { createBulkWriter } from '@trailscope/indexer';
import { runLiveInsights, type InsightsConfig } from '@trailscope/insights';
import { startInsightsSchedule } from '@trailscope/queue';
import { createRedis, type Config, type Logger, type OpenSearchClient } from '@trailscope/runtime';

export interface LiveInsightsJob {
  /** Stops taking ticks; a running tick is aborted between its chunks (the next tick, anywhere, covers its minutes). */
  close(): Promise<void>;
}

/**
 * The live Insights job in this process: joins the one BullMQ job scheduler every worker (and `insights schedule`)
 * upserts, so each tick runs in exactly one process whatever their number, and computes that tick's window. A tick
 * logs its job id, so that which process ran which tick can be read from the logs.
 */
export async function startLiveInsights(
  deps: { config: Config; logger: Logger; opensearch: OpenSearchClient },
  insights: InsightsConfig,
  options: { lockDurationMs?: number } = {},
): Promise<LiveInsightsJob> {
  const { config, logger, opensearch } = deps;
  const abort = new AbortController();
  // Its own connection: BullMQ's worker blocks on a duplicate of it, which must not share the ingest consumer's.
  const connection = createRedis(config);
  const writer = createBulkWriter({ client: opensearch, config, logger, signal: abort.signal });
  const schedule = await startInsightsSchedule({
    config,
    connection,
    everyMs: insights.everyMs,
    // A tick whose process died is run again by another once its lock expires, as an ingest job is.
    lockDurationMs: options.lockDurationMs ?? config.ingest.jobLockMs,
    logger,
    run: async (tickMs, jobId) => {
      logger.debug({ jobId, tickMs }, 'live insights run started');
      const r = await runLiveInsights({ opensearch, config, insights, logger, writer }, Math.max(tickMs, Date.now()), abort.signal);
      logger.info({ jobId, tickMs, starts: r.starts, ends: r.ends, created: r.write?.indexed ?? 0 }, 'live insights run done');
    },
  });
  logger.info({ everyMs: insights.everyMs, delayMinutes: insights.delayMinutes, lookbackMinutes: insights.lookbackMinutes }, 'live insights started');
  return {
    async close() {
      abort.abort();
      await schedule.close();
      connection.disconnect();
    },
  };
}
