import { createHash } from 'node:crypto';
import type { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { checkTemplates, createBulkWriter } from '@trailscope/indexer';
import { loadInsightsConfig, runInsights, type RunInsightsResult } from '@trailscope/insights';
import { TrailscopeError } from '@trailscope/model';
import { createLogger, createOpenSearchClient, createRedis, createShutdown, toOpenSearchError } from '@trailscope/runtime';
import { startLiveInsights } from '@trailscope/worker';
import { configFrom } from '../context';
import { checkScope } from '../flags/scope';
import { parseList } from '../flags/value-parsers';

interface RunFlags {
  from: string;
  to: string;
  account?: string[];
  region?: string[];
  dryRun?: boolean;
  json?: boolean;
  restart?: boolean;
}

/** `YYYY-MM-DD` (a whole UTC day; as --to, through its end) or an ISO-8601 time with its zone. */
function parseTime(value: string, flag: string, endOfDay: boolean): number {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const ms = Date.parse(`${value}T00:00:00Z`);
    if (!Number.isNaN(ms) && new Date(ms).toISOString().startsWith(value)) return endOfDay ? ms + 86_400_000 : ms;
  } else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new TrailscopeError('USAGE', `${flag} "${value}" is not a date (YYYY-MM-DD, UTC) or an ISO-8601 time with zone (2026-03-01T12:00Z)`, { context: { flag } });
}

function describe(record: Record<string, unknown>): string {
  const d = record.insightDetails as { state: string; insightType: string; eventSource: string; eventName: string; errorCode?: string; insightContext: { statistics: { baseline: { average: number }; insight: { average: number }; insightDuration: number } } };
  const s = d.insightContext.statistics;
  const api = `${d.eventSource} ${d.eventName}${d.errorCode ? ` ${d.errorCode}` : ''}`;
  return `${String(record.eventTime)}  ${d.state.padEnd(5)}  ${d.insightType}  ${String(record.recipientAccountId)} ${String(record.awsRegion)}  ${api}  baseline ${s.baseline.average}/min  insight ${s.insight.average}/min over ${s.insightDuration} min\n`;
}

export function registerInsightsCommand(program: Command): void {
  const insights = program
    .command('insights')
    .description('CloudTrail Insights (unusual API call and error rates) computed from the stored events, written as Insights records');

  insights
    .command('run')
    .description(
      'Compute the Insights of a past range and index their Start/End records (ingest.kind computed-insight). Resumable: an interrupted run started again with the same flags continues where it stopped; running it again over the same range creates nothing new.',
    )
    .requiredOption('--from <date>', 'first minute analysed: YYYY-MM-DD (UTC) or an ISO-8601 time')
    .requiredOption('--to <date>', 'end of the range: YYYY-MM-DD (through that UTC day) or an ISO-8601 time (exclusive)')
    .option('--account <id>', 'only these 12-digit accounts (repeatable, or comma-separated)', parseList)
    .option('--region <region>', 'only these regions (repeatable, or comma-separated)', parseList)
    .option('--dry-run', 'print the records it would write, write nothing')
    .option('--restart', 'ignore the saved progress of an interrupted run with the same flags')
    .option('--json', 'records (with --dry-run) and the summary as JSON, one object per line')
    .action(async (opts: RunFlags, cmd: Command) => {
      const fromMs = parseTime(opts.from, '--from', false);
      const toMs = parseTime(opts.to, '--to', true);
      if (toMs <= fromMs) throw new TrailscopeError('USAGE', `--to ${opts.to} is not after --from ${opts.from}`, { context: { flag: '--to' } });
      checkScope(opts);
      const config = configFrom(cmd);
      const insightsConfig = loadInsightsConfig();
      const tty = Boolean(process.stderr.isTTY) && !opts.json;
      const logger = createLogger({ level: tty && config.logLevel === 'info' ? 'warn' : config.logLevel, name: 'insights' });
      const opensearch = createOpenSearchClient(config);
      const redis = opts.dryRun ? undefined : createRedis(config);
      const abort = new AbortController();
      const shutdown = createShutdown();
      shutdown.add(async () => {
        abort.abort();
      });
      shutdown.listen();
      const scopeId = createHash('sha256').update(JSON.stringify([fromMs, toMs, [...(opts.account ?? [])].sort(), [...(opts.region ?? [])].sort()])).digest('hex').slice(0, 32);
      const checkpointKey = `${config.names.redisPrefix}insights:run:${scopeId}`;
      let bar: SingleBar | undefined;
      let result: RunInsightsResult | undefined;
      try {
        let startMs = fromMs;
        if (redis && !opts.restart) {
          const saved = Number(await redis.get(checkpointKey));
          // The detectors' state is rebuilt from the minutes before the saved point, as the live job does.
          if (saved > fromMs && saved < toMs) startMs = Math.max(fromMs, saved - insightsConfig.lookbackMinutes * 60_000);
        }
        if (!opts.dryRun) await checkTemplates(opensearch, config);
        // No refresh=wait_for per bulk: it would also wait on the event-id claims, whose index refreshes every 30 s
        // (a minute and a half over a day's chunks); the records are made searchable once, at the end.
        const writer = opts.dryRun ? undefined : createBulkWriter({ client: opensearch, config, logger, signal: abort.signal });
        const totalMinutes = Math.ceil((toMs - fromMs) / 60_000);
        if (tty) {
          bar = new SingleBar({ format: 'insights [{bar}] {percentage}% | minutes {value}/{total} | ETA {eta_formatted}', stream: process.stderr, hideCursor: true, fps: 5 }, Presets.shades_classic);
          bar.start(totalMinutes, Math.floor((startMs - fromMs) / 60_000));
        }
        result = await runInsights(
          { opensearch, config, insights: insightsConfig, logger, writer },
          {
            fromMs: startMs,
            toMs,
            accounts: opts.account,
            regions: opts.region,
            signal: abort.signal,
            onRecord: (r) => {
              if (!opts.dryRun) return;
              if (opts.json) process.stdout.write(`${JSON.stringify(r)}\n`);
              else process.stdout.write(describe(r));
            },
            onChunkDone: async (doneMs) => {
              bar?.update(Math.floor((doneMs - fromMs) / 60_000));
              if (redis) await redis.set(checkpointKey, String(doneMs), 'EX', 30 * 86_400);
            },
          },
        );
        if ((result.write?.indexed ?? 0) > 0) {
          try {
            await opensearch.indices.refresh({ index: config.names.eventsAlias, ignore_unavailable: true, allow_no_indices: true });
          } catch (err) {
            throw toOpenSearchError(err, `refreshing ${config.names.eventsAlias} after writing insights`, { target: config.names.eventsAlias });
          }
        }
        if (redis && !abort.signal.aborted) await redis.del(checkpointKey);
      } finally {
        bar?.stop();
        redis?.disconnect();
        await opensearch.close();
      }
      if (abort.signal.aborted) {
        process.stderr.write('trailscope: interrupted; run the same command again to continue\n');
        process.exitCode = 130;
        return;
      }
      const w = result.write;
      const summary = {
        from: new Date(fromMs).toISOString(),
        to: new Date(toMs).toISOString(),
        starts: result.starts,
        ends: result.ends,
        series: result.series,
        dryRun: Boolean(opts.dryRun),
        created: w?.indexed ?? 0,
        existing: w?.duplicates ?? 0,
        conflicts: w?.conflicts ?? 0,
      };
      if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else {
        process.stdout.write(
          `${summary.starts} insight${summary.starts === 1 ? '' : 's'} started, ${summary.ends} ended over ${summary.series} series` +
            (opts.dryRun ? ' (dry run: nothing written)\n' : `; records created ${summary.created}, already stored ${summary.existing}, conflicts ${summary.conflicts}\n`),
        );
      }
      if (summary.conflicts > 0) process.exitCode = 1;
    });

  insights
    .command('schedule')
    .description(
      'Compute Insights live, every minute over the complete minutes (TRAILSCOPE_INSIGHTS_DELAY_MINUTES behind, default 15), until stopped. Any number of these processes share one scheduler: each minute runs once, in one of them.',
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const config = configFrom(cmd);
      const insightsConfig = loadInsightsConfig();
      const logger = createLogger({ level: config.logLevel, name: 'insights' });
      const opensearch = createOpenSearchClient(config);
      await checkTemplates(opensearch, config);
      const schedule = await startLiveInsights({ config, logger, opensearch }, insightsConfig);
      await new Promise<void>((resolve) => {
        const shutdown = createShutdown();
        shutdown.add(async () => {
          await schedule.close();
          await opensearch.close();
          resolve();
        });
        shutdown.listen();
      });
    });
}
