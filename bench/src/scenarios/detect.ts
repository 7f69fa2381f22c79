import * as path from 'node:path';
import { listFindings, parseFindingsRequest, runBacktest } from '@trailscope/detect';
import { UNRESTRICTED } from '@trailscope/query';
import { loadRuleFiles, type SingleEventRule } from '@trailscope/rules';
import { createOpenSearchClient, createRedis, type OpenSearchClient } from '@trailscope/runtime';
import type { Scenario } from '../bench-context';
import { createBenchS3, deleteBucket } from '../bench-buckets';
import { CLI_BIN, lastJsonLine, REPO_ROOT, runNode } from '../child-process';
import { fmtInt, fmtMiB, fmtNum, round } from '../format';
import { prepareMainDataset } from '../main-dataset';
import { countEvents } from '../namespace-admin';
import { dropNamespace, dropNamespaceLater } from '../namespace-lifecycle';
import { percentile } from '../percentile';
import { runPipelineIngest, type PipelineIngestResult } from '../pipeline-ingest';

const PACK_DIR = path.join(REPO_ROOT, 'packages', 'rules', 'pack');
const INGEST_GOAL = 0.9;
const BACKTEST_GOAL = 2;
const RSS_GOAL = 1.1;
const FINDINGS_P95_GOAL_MS = 50;

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rangeOf(days: string[]): { gte: string; lte: string } {
  return { gte: `${days[0] as string}T00:00:00.000Z`, lte: `${days[days.length - 1] as string}T23:59:59.999Z` };
}

/** The first half of a range, by time. */
function firstHalf(r: { gte: string; lte: string }): { gte: string; lte: string } {
  const from = Date.parse(r.gte);
  return { gte: r.gte, lte: new Date(from + Math.floor((Date.parse(r.lte) + 1 - from) / 2) - 1).toISOString() };
}

const eventRange = (days: string[]) => ({ range: { eventTime: rangeOf(days) } });

/** One `_count` per rule over the range: the least a query-based engine pays to learn what each rule matches. */
async function countPerRule(client: OpenSearchClient, index: string, queries: object[], range: object): Promise<number> {
  const t0 = performance.now();
  for (const q of queries) await client.count({ index, body: { query: { bool: { filter: [range, q] } } } as never });
  return (performance.now() - t0) / 1000;
}

/**
 * Live detection costs and backtests: the same files ingested with no rule set and with the built-in pack applied
 * (time until detection has evaluated every file), a backtest of the pack against one `_count` per rule over the
 * same events, the backtest's peak RSS as the range doubles, and findings list latency.
 */
export const detectScenario: Scenario = {
  id: 'detect',
  title: 'detection: live ingest with rules, backtest, findings',
  async run(ctx, out) {
    const stack = await ctx.stack();
    const plainNs = ctx.namespace('det0');
    const rulesNs = ctx.namespace('det1');
    const rulesConfig = stack.configFor(rulesNs);
    const s3 = createBenchS3(rulesConfig);
    const dataset = await prepareMainDataset(ctx, s3);
    if (!ctx.options.keep && stack.source.startsWith('services named')) ctx.onCleanup(() => deleteBucket(s3, dataset.bucket));
    // Both modes ingest a bounded slice of the main data set, since live detection is far slower than ingest: quick
    // mode its first delivery day (every account and region), a full run the first delivery day of one account and
    // region (a fortieth of the million events).
    const days = dataset.spec.days.slice(0, 1);
    const slice = ctx.options.mode === 'quick' ? [] : ['--account', dataset.spec.accounts[0] as string, '--region', dataset.spec.regions[0] as string];
    const backfillArgs = ['--to', days[days.length - 1] as string, ...slice];
    const loaded = await loadRuleFiles([PACK_DIR]);
    if (loaded.refused.length > 0) throw new Error(`the built-in pack has refused rules: ${JSON.stringify(loaded.refused)}`);
    const kinds = (k: string) => loaded.rules.filter((r) => r.kind === k).length;
    out.data = { 'delivery days ingested': days.length, 'accounts and regions': slice.length === 0 ? 'all' : `${slice[1]} in ${slice[3]}`, rules: loaded.rules.length, 'single-event rules': kinds('single'), correlations: kinds('correlation'), 'new-terms rules': kinds('new_terms') };
    out.method.push(
      `The main data set's files delivered on ${days[0]}..${days[days.length - 1]}, ingested twice by one \`trailscope worker\` each into fresh namespaces, back to back: once with no rule set, once after \`trailscope rules apply packages/rules/pack\` (${loaded.rules.length} rules: ${kinds('single')} single-event, ${kinds('correlation')} correlations, ${kinds('new_terms')} new terms). With rules, the clock stops when the queue is drained and detection has evaluated every indexed file (its pending set in Redis is empty).`,
      'Backtest: `runBacktest` in the bench process over the rules namespace (every rule of the pack, the whole ingested range, matches counted and dropped), against one `_count` request per rule over the same range with the rule\'s query (its exact query, else its candidate query; for correlations and new terms the base rules\' queries), sent one after the other.',
      'Backtest memory: `trailscope rules backtest packages/rules/pack --json --from T1 --to T2` as a child process, over the first half of the range (by time) and over all of it; peak RSS of each. New-terms rules must remember every term seen within their history (30 days for the pack\'s), so over ranges shorter than that their state grows with the distinct terms; correlations hold one window.',
      'Findings: `listFindings` (what `trailscope findings` and `GET /v1/findings` run) in the bench process, newest first, 20 rounds of 5 requests (all, by level, by status, by rule, by account), after a warm-up round.',
    );

    const client = createOpenSearchClient(rulesConfig);
    const redis = createRedis(rulesConfig);
    try {
      dropNamespaceLater(ctx, stack, plainNs);
      dropNamespaceLater(ctx, stack, rulesNs);
      const plain = await runPipelineIngest(ctx, stack, { namespace: plainNs, bucket: dataset.bucket, workers: 1, label: 'detect-plain', backfillArgs });
      const plainEvents = await countEvents(client, stack.configFor(plainNs));
      if (!ctx.options.keep) await dropNamespace(stack, plainNs);
      ctx.log(`detect: ingest without rules ${fmtInt(plainEvents / plain.seconds)} events/s (${fmtNum(plain.seconds)} s)`);

      await runNode({ args: [CLI_BIN, 'setup'], env: stack.envFor(rulesNs), label: 'detect-setup' });
      await runNode({ args: [CLI_BIN, 'rules', 'apply', PACK_DIR, '--json'], env: stack.envFor(rulesNs), label: 'detect-rules-apply' });
      const pendingKey = `${rulesConfig.names.redisPrefix}detect:pending`;
      const withRules: PipelineIngestResult = await runPipelineIngest(ctx, stack, {
        namespace: rulesNs,
        bucket: dataset.bucket,
        workers: 1,
        label: 'detect-rules',
        backfillArgs,
        untilAlso: async () => (await redis.zcard(pendingKey)) === 0,
      });
      const rulesEvents = await countEvents(client, rulesConfig);
      if (rulesEvents !== plainEvents) throw new Error(`with rules ${rulesEvents} events were indexed, without ${plainEvents}`);
      ctx.log(`detect: ingest with rules ${fmtInt(rulesEvents / withRules.seconds)} events/s (${fmtNum(withRules.seconds)} s)`);
      await client.indices.refresh({ index: rulesConfig.names.findingsIndex });
      const findingsCount = Number(((await client.count({ index: rulesConfig.names.findingsIndex })).body as { count: number }).count);
      const ingestRatio = plain.seconds / withRules.seconds;
      out.rows.push({
        scenario: 'detect',
        name: `ingest with live detection (built-in pack), ${fmtInt(rulesEvents)} events`,
        ours: { value: rulesEvents / withRules.seconds, unit: 'events/s', text: `${fmtInt(rulesEvents / withRules.seconds)} events/s (${fmtNum(withRules.seconds)} s, ${fmtInt(findingsCount)} findings)` },
        baseline: { value: plainEvents / plain.seconds, unit: 'events/s', text: `${fmtInt(plainEvents / plain.seconds)} events/s (${fmtNum(plain.seconds)} s)`, what: 'the same ingest with no rule set' },
        ratio: ingestRatio,
        ratioMeaning: 'with ÷ without rules, events/s',
        goal: `ratio ≥ ${INGEST_GOAL}`,
        met: ingestRatio >= INGEST_GOAL,
      });

      // backtest against one _count per rule, over the same events
      const range = eventRange(days);
      const queries = loaded.rules.flatMap((r) => {
        const bases: SingleEventRule[] = r.kind === 'single' ? [r] : r.kind === 'correlation' ? r.baseRules : r.base ? [r.base] : [];
        if (bases.length === 0) return [{ match_all: {} }];
        const qs = bases.map((b) => b.toDsl() ?? b.candidateDsl());
        return [qs.length === 1 ? (qs[0] as object) : { bool: { should: qs, minimum_should_match: 1 } }];
      });
      await countPerRule(client, rulesConfig.names.eventsAlias, queries, range);
      const countSeconds = await countPerRule(client, rulesConfig.names.eventsAlias, queries, range);
      let matches = 0;
      const tb = performance.now();
      await runBacktest(client, rulesConfig.names, loaded.rules, range, { onMatch: () => void matches++ });
      const backtestSeconds = (performance.now() - tb) / 1000;
      const btRatio = backtestSeconds / countSeconds;
      out.rows.push({
        scenario: 'detect',
        name: `backtest of ${loaded.rules.length} rules over ${fmtInt(rulesEvents)} events`,
        ours: { value: backtestSeconds, unit: 's', text: `${fmtNum(backtestSeconds, 2)} s (${fmtInt(matches)} matches)` },
        baseline: { value: countSeconds, unit: 's', text: `${fmtNum(countSeconds, 2)} s`, what: `${queries.length} _count requests, one per rule` },
        ratio: btRatio,
        ratioMeaning: 'backtest ÷ _count per rule, seconds',
        goal: `ratio ≤ ${BACKTEST_GOAL}`,
        met: btRatio <= BACKTEST_GOAL,
      });

      // peak RSS of the backtest command as the range doubles
      const whole = rangeOf(days);
      const half = firstHalf(whole);
      const rss = async (r: { gte: string; lte: string }, label: string) => {
        const res = await runNode({ args: [CLI_BIN, 'rules', 'backtest', PACK_DIR, '--json', '--from', r.gte, '--to', r.lte], env: stack.envFor(rulesNs), label: `detect-backtest-${label}` });
        const summary = lastJsonLine(res.stdout, 'trailscope rules backtest').summary as { matches: number };
        return { peak: res.peakRssBytes, matches: summary.matches };
      };
      const small = await rss(half, 'half');
      const large = await rss(whole, 'whole');
      const rssRatio = large.peak / small.peak;
      out.rows.push({
        scenario: 'detect',
        name: 'backtest peak RSS as the range doubles',
        ours: { value: large.peak, unit: 'bytes', text: `${fmtMiB(large.peak)} over ${whole.gte.slice(0, 10)}..${whole.lte.slice(0, 10)} (${fmtInt(large.matches)} matches)` },
        baseline: { value: small.peak, unit: 'bytes', text: `${fmtMiB(small.peak)} over its first half (${fmtInt(small.matches)} matches)`, what: 'the same backtest over the first half of the range' },
        ratio: rssRatio,
        ratioMeaning: 'peak RSS, whole range ÷ half range',
        goal: `ratio ≤ ${RSS_GOAL}`,
        met: rssRatio <= RSS_GOAL,
      });

      // findings list latency
      const ruleId = loaded.rules[0]?.id as string;
      const requests = [{}, { levels: ['high', 'critical'] }, { statuses: ['open'] }, { rules: [ruleId] }, { accounts: [dataset.spec.accounts[0] as string] }].map((r) => parseFindingsRequest(r));
      for (const r of requests) await listFindings(client, rulesConfig.names, r, UNRESTRICTED);
      const samples: number[] = [];
      for (let round = 0; round < 20; round++) {
        for (const r of requests) {
          const t0 = performance.now();
          await listFindings(client, rulesConfig.names, r, UNRESTRICTED);
          samples.push(performance.now() - t0);
        }
        await pause(5);
      }
      const p95 = percentile(samples, 95);
      out.rows.push({
        scenario: 'detect',
        name: `findings list p95 (${fmtInt(findingsCount)} findings)`,
        ours: { value: p95, unit: 'ms', text: `${fmtNum(p95)} ms (p50 ${fmtNum(percentile(samples, 50))} ms, ${samples.length} requests)` },
        goal: `≤ ${FINDINGS_P95_GOAL_MS} ms`,
        met: p95 <= FINDINGS_P95_GOAL_MS,
      });
      out.figures = {
        ingest: { plain, withRules, ratio: round(ingestRatio), findings: findingsCount },
        backtest: { seconds: round(backtestSeconds), countSeconds: round(countSeconds), ratio: round(btRatio), matches, countRequests: queries.length },
        backtestRss: { half, halfPeakBytes: small.peak, whole, peakBytes: large.peak, ratio: round(rssRatio) },
        findingsLatencyMs: { p50: round(percentile(samples, 50)), p95: round(p95), samples: samples.length },
      };
    } finally {
      redis.disconnect();
      await client.close();
    }
  },
};
