import { indexPeriodStart, type IndexPeriod } from '@trailscope/model';
import { errorFacts, toOpenSearchError, type Config, type OpenSearchClient } from '@trailscope/runtime';
import { indexPeriodEnd } from './retention';

const GIB = 1024 ** 3;
const DAY_MS = 86_400_000;

/**
 * OpenSearch's guidance for search workloads is 10–50 GiB per shard: much smaller shards each still cost heap,
 * file handles and cluster-state entries, and years of daily indices of a small organization become thousands of
 * them. The policy: daily indices once a day of events fills a shard to the lower bound, monthly below that, and as
 * many primary shards as keep a shard under the upper bound.
 */
export const SHARD_SIZING = {
  minShardBytes: 10 * GIB,
  maxShardBytes: 50 * GIB,
  /** Below a tenth of the lower bound a shard is "far below" the recommendation and setup warns. */
  warnBelowBytes: GIB,
} as const;

/** Days one index covers under each period; a month as 30 days is close enough for sizing. */
const PERIOD_DAYS: Record<IndexPeriod, number> = { day: 1, month: 30 };

export interface IndexPeriodAdvice {
  period: IndexPeriod;
  shards: number;
  /** Primary bytes one shard would hold under that advice. */
  shardBytes: number;
}

/** The index period and primary shard count the policy gives for a daily volume of primary store bytes. */
export function adviseIndexPeriod(dailyBytes: number): IndexPeriodAdvice {
  const period: IndexPeriod = dailyBytes >= SHARD_SIZING.minShardBytes ? 'day' : 'month';
  const indexBytes = dailyBytes * PERIOD_DAYS[period];
  const shards = Math.max(1, Math.ceil(indexBytes / SHARD_SIZING.maxShardBytes));
  return { period, shards, shardBytes: indexBytes / shards };
}

export interface ShardSizing {
  /** Event indices holding at least one document. */
  indices: number;
  primaryShards: number;
  primaryBytes: number;
  /** Mean primary store bytes per primary shard. */
  meanShardBytes: number;
  /** Primary bytes per day of eventTime, over the days the indices cover (up to now). */
  dailyBytes: number;
  /** What one shard of a new index holds at that rate under the configured period and shard count. */
  projectedShardBytes: number;
  advice: IndexPeriodAdvice;
  /** Set when projected shards are far below the recommended size: what to change. */
  warning?: string;
}

interface CatIndexRow {
  index: string;
  pri: string;
  'docs.count': string | null;
  'pri.store.size': string | null;
}

const formatGiB = (bytes: number) => (bytes >= GIB ? `${(bytes / GIB).toFixed(1)} GiB` : `${(bytes / 1024 ** 2).toFixed(1)} MiB`);

/**
 * Measures the namespace's event indices and compares the shards they make with the sizing policy. Days covered are
 * those of each index's period up to `now`, so a month index of the current month counts only the days passed.
 */
export async function measureShardSizing(client: OpenSearchClient, config: Config, now: Date = new Date()): Promise<ShardSizing> {
  let rows: CatIndexRow[];
  try {
    const res = await client.transport.request({
      method: 'GET',
      path: `/_cat/indices/${encodeURIComponent(config.names.eventIndexPattern)}`,
      querystring: { format: 'json', bytes: 'b', h: 'index,pri,docs.count,pri.store.size', expand_wildcards: 'open' },
    });
    rows = res.body as CatIndexRow[];
  } catch (err) {
    if (errorFacts(err).statusCode !== 404) throw toOpenSearchError(err, `listing ${config.names.eventIndexPattern}`);
    rows = [];
  }
  let indices = 0;
  let primaryShards = 0;
  let primaryBytes = 0;
  let daysCovered = 0;
  for (const row of rows) {
    const start = indexPeriodStart(row.index, config.namespace);
    if (!start || Number(row['docs.count'] ?? 0) === 0) continue;
    const end = indexPeriodEnd(row.index, config.namespace)?.getTime() ?? start.getTime() + DAY_MS;
    daysCovered += Math.max(1, Math.ceil((Math.min(end, now.getTime()) - start.getTime()) / DAY_MS));
    indices += 1;
    primaryShards += Number(row.pri);
    primaryBytes += Number(row['pri.store.size'] ?? 0);
  }
  const dailyBytes = daysCovered > 0 ? primaryBytes / daysCovered : 0;
  const projectedShardBytes = (dailyBytes * PERIOD_DAYS[config.index.period]) / config.index.shards;
  const advice = adviseIndexPeriod(dailyBytes);
  const sizing: ShardSizing = {
    indices,
    primaryShards,
    primaryBytes,
    meanShardBytes: primaryShards > 0 ? primaryBytes / primaryShards : 0,
    dailyBytes,
    projectedShardBytes,
    advice,
  };
  // With the fewest shards the volume allows (monthly, one primary) there is nothing to change, so no warning.
  const change = advice.period !== config.index.period || advice.shards < config.index.shards;
  if (indices > 0 && projectedShardBytes < SHARD_SIZING.warnBelowBytes && change) {
    sizing.warning =
      `event shards are far below the recommended ${formatGiB(SHARD_SIZING.minShardBytes)}–${formatGiB(SHARD_SIZING.maxShardBytes)}: ` +
      `${formatGiB(dailyBytes)} of events a day make shards of ${formatGiB(projectedShardBytes)} with TRAILSCOPE_INDEX_PERIOD=${config.index.period} ` +
      `and TRAILSCOPE_INDEX_SHARDS=${config.index.shards}; TRAILSCOPE_INDEX_PERIOD=${advice.period} TRAILSCOPE_INDEX_SHARDS=${advice.shards} ` +
      `would make shards of ${formatGiB(advice.shardBytes)} (new indices only; stored events stay searchable where they are)`;
  }
  return sizing;
}
