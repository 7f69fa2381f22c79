import { apiCallRecord, createRandom, poisson } from '@trailscope/fixtures';
import { createBulkWriter, installTemplates } from '@trailscope/indexer';
import { loadInsightsConfig, runInsights, runLiveInsights } from '@trailscope/insights';
import { FIELDS } from '@trailscope/model';
import { normalize } from '@trailscope/parser';
import { createLogger, createOpenSearchClient, type Config, type OpenSearchClient } from '@trailscope/runtime';
import type { Scenario } from '../bench-context';
import { fmtInt, fmtNum, round } from '../format';
import { dropNamespaceLater } from '../namespace-lifecycle';
import { median } from '../percentile';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** The analysed week starts here; the baseline week is the one before. */
const WEEK_START = Date.UTC(2026, 5, 8);
const SPIKES = 5;

interface Seeded {
  events: number;
  analysedEvents: number;
  seconds: number;
}

/**
 * 14 days of write calls over `apis` series (account × region × API), a daily cycle over Poisson noise, 5% failing,
 * and a few 20x spikes of 15 minutes in the second week. Written straight into the event indices (the bulk writer,
 * without event-id claims: every id is new), so the scenario measures Insights, not ingest.
 */
async function seed(client: OpenSearchClient, config: Config, eventsPerWeek: number, apis: number): Promise<Seeded> {
  const rng = createRandom(1717);
  const series = Array.from({ length: apis }, (_, i) => ({
    account: String(100000000000 + (i % 10)),
    region: ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'us-west-2'][Math.floor(i / 10) % 4]!,
    eventSource: `svc${Math.floor(i / 40)}.amazonaws.com`,
    eventName: `Put${i}`,
    weight: 0.2 + 1.8 * rng.next(),
  }));
  const weights = series.reduce((w, s) => w + s.weight, 0);
  const perMinute = eventsPerWeek / (7 * 1440);
  const spikes = Array.from({ length: SPIKES }, (_, i) => ({ series: (i * 37) % apis, startMs: WEEK_START + (1 + i) * DAY + (3 + 4 * i) * HOUR + 11 * MINUTE }));
  const writer = createBulkWriter({ client, config, logger: createLogger({ level: 'warn' }), uniqueIds: false });
  const ingestedAt = new Date().toISOString();
  let events = 0;
  let analysedEvents = 0;
  const t0 = performance.now();
  for (let t = WEEK_START - 7 * DAY; t < WEEK_START + 7 * DAY; t += MINUTE) {
    const cycle = 1 + 0.5 * Math.sin((2 * Math.PI * ((t % DAY) / HOUR - 8)) / 24);
    for (let i = 0; i < series.length; i++) {
      const s = series[i]!;
      let rate = (perMinute * s.weight * cycle) / weights;
      if (spikes.some((k) => k.series === i && t >= k.startMs && t < k.startMs + 15 * MINUTE)) rate = Math.max(1, rate * 20);
      const n = poisson(rng, rate);
      for (let k = 0; k < n; k++) {
        const eventID = rng.uuid();
        const record = apiCallRecord({
          account: s.account,
          userIdentity: { type: 'AssumedRole', arn: `arn:aws:sts::${s.account}:assumed-role/Deployer/session`, accountId: s.account },
          eventTime: new Date(t + rng.int(0, 59) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          eventSource: s.eventSource,
          eventName: s.eventName,
          region: s.region,
          sourceIPAddress: '192.0.2.10',
          userAgent: 'aws-cli/2.15.0',
          ...(rng.chance(0.05) ? { error: { code: 'AccessDenied', message: 'not authorized' } } : {}),
          requestID: eventID,
          eventID,
        });
        const doc = normalize(record, JSON.stringify(record), { bucket: 'bench', key: 'generated', etag: 'generated', kind: 'log', account: s.account, region: s.region }, ingestedAt);
        await writer.add(doc.id, doc);
        events++;
        if (t >= WEEK_START) analysedEvents++;
      }
    }
  }
  await writer.flush();
  await client.indices.refresh({ index: config.names.eventIndexPattern });
  return { events, analysedEvents, seconds: (performance.now() - t0) / 1000 };
}

/**
 * The least any per-minute model must read: one composite aggregation over the series keys with a 1-minute date
 * histogram under each, over the analysed week, paged by after_key to the end (as many buckets per page as ours).
 */
async function baselineAggregation(client: OpenSearchClient, config: Config, fromMs: number, toMs: number): Promise<{ seconds: number; pages: number; series: number }> {
  const t0 = performance.now();
  let after: Record<string, string> | undefined;
  let pages = 0;
  let series = 0;
  const size = Math.max(1, Math.floor(40_000 / ((toMs - fromMs) / MINUTE + 1)));
  for (;;) {
    const res = await client.search({
      index: config.names.eventsAlias,
      // a repeated pass would otherwise be answered from the shard request cache, not aggregated
      request_cache: false,
      body: {
        size: 0,
        track_total_hits: false,
        query: { bool: { filter: [{ range: { [FIELDS.eventTime]: { gte: fromMs, lt: toMs, format: 'epoch_millis' } } }, { term: { [FIELDS.readOnly]: false } }] } },
        aggs: {
          series: {
            composite: {
              size,
              sources: [FIELDS.account, FIELDS.region, FIELDS.eventSource, FIELDS.eventName].map((f, i) => ({ [`k${i}`]: { terms: { field: f } } })),
              ...(after ? { after } : {}),
            },
            aggs: { per: { date_histogram: { field: FIELDS.eventTime, fixed_interval: '1m', min_doc_count: 1 } } },
          },
        },
      } as never,
    });
    pages++;
    const agg = (res.body.aggregations as { series: { buckets: unknown[]; after_key?: Record<string, string> } }).series;
    series += agg.buckets.length;
    if (agg.buckets.length < size || !agg.after_key) break;
    after = agg.after_key;
  }
  return { seconds: (performance.now() - t0) / 1000, pages, series };
}

export const insightsScenario: Scenario = {
  id: 'insights',
  title: 'Insights: `insights run` over a week vs one paged composite aggregation over it; the live job per minute',
  async run(ctx, out) {
    const stack = await ctx.stack();
    const ns = ctx.namespace('insights');
    dropNamespaceLater(ctx, stack, ns);
    const config = stack.configFor(ns, { TRAILSCOPE_BULK_FLUSH_DOCS: '5000' });
    const client = createOpenSearchClient(config, { requestTimeoutMs: 10 * 60_000 });
    const { insightsEventsPerWeek, insightsApis, insightsRounds } = ctx.options.sizes;
    const insights = loadInsightsConfig({});
    const logger = createLogger({ level: 'warn' });
    try {
      await installTemplates(client, config);
      ctx.log(`insights: seeding 14 days of ${fmtInt(insightsEventsPerWeek)} events a week over ${insightsApis} APIs`);
      const seeded = await seed(client, config, insightsEventsPerWeek, insightsApis);
      const fromMs = WEEK_START;
      const toMs = WEEK_START + 7 * DAY;
      const runs: number[] = [];
      const baselines: number[] = [];
      let last: Awaited<ReturnType<typeof runInsights>> | undefined;
      let base: Awaited<ReturnType<typeof baselineAggregation>> | undefined;
      // untimed, so that neither side pays for reading the fresh indices first (insights run reads the baseline week too)
      await baselineAggregation(client, config, fromMs - 7 * DAY, fromMs);
      await baselineAggregation(client, config, fromMs, toMs);
      for (let r = 0; r < insightsRounds; r++) {
        base = await baselineAggregation(client, config, fromMs, toMs);
        baselines.push(base.seconds);
        // nor is insights run answered from what an earlier round left in the request cache
        await client.indices.clearCache({ index: config.names.eventIndexPattern, request: true });
        const writer = createBulkWriter({ client, config, logger });
        const t0 = performance.now();
        last = await runInsights({ opensearch: client, config, insights, logger, writer }, { fromMs, toMs });
        runs.push((performance.now() - t0) / 1000);
        ctx.log(`insights: round ${r + 1}: run ${fmtNum(runs.at(-1)!)} s, baseline ${fmtNum(base.seconds)} s`);
      }
      // The live job at the end of the week: its window is the last lookback minutes, all series active in it.
      const ticks: number[] = [];
      for (let r = 0; r < 3; r++) {
        const writer = createBulkWriter({ client, config, logger });
        const t0 = performance.now();
        await runLiveInsights({ opensearch: client, config, insights, logger, writer }, toMs + insights.delayMinutes * MINUTE);
        ticks.push((performance.now() - t0) / 1000);
      }
      const run = median(runs);
      const baseline = median(baselines);
      const tick = median(ticks);
      out.data = { 'events stored (14 days)': seeded.events, 'events in the analysed week': seeded.analysedEvents, APIs: insightsApis, 'injected 20x spikes': SPIKES };
      out.method.push(
        `${fmtInt(seeded.events)} generated write events over 14 days (${fmtInt(seeded.analysedEvents)} in the analysed week, the rest its baseline week) across ${insightsApis} series (10 accounts, 4 regions), a daily cycle over Poisson noise, 5% AccessDenied, ${SPIKES} injected 20x spikes of 15 minutes; written straight into the event indices.`,
        `Ours: runInsights (what \`insights run\` calls) over the analysed week with the default model and chunks, writing its records; ${insightsRounds} round(s), median. Baseline, measured just before each round: one composite aggregation over the series keys with a 1-minute date histogram under each, over the same week, paged to the end — the per-minute counts alone, which any per-minute model has to read. Untimed baseline passes over both weeks first warm both sides; the baseline bypasses the request cache and the cache is cleared before each run of ours.`,
        `Live job: one tick (runLiveInsights) as at the end of the week, over its ${insights.lookbackMinutes}-minute window with every series active; 3 ticks, median. The tick must fit in the minute between two ticks.`,
      );
      out.figures = {
        seedSeconds: round(seeded.seconds),
        runSeconds: runs.map((s) => round(s)),
        baselineSeconds: baselines.map((s) => round(s)),
        baselinePages: base?.pages,
        baselineSeries: base?.series,
        insights: { starts: last?.starts, ends: last?.ends, series: last?.series },
        liveTickSeconds: ticks.map((s) => round(s)),
      };
      out.notes.push(
        `insights run found ${last?.starts ?? 0} insights (${SPIKES} spikes injected) over ${last?.series ?? 0} series; the baseline read ${base?.series ?? 0} series in ${base?.pages ?? 0} pages. Seeding took ${fmtNum(seeded.seconds)} s.`,
      );
      out.rows.push({
        scenario: 'insights',
        name: `insights run over 7 days × ${fmtInt(seeded.analysedEvents)} events`,
        ours: { value: seeded.analysedEvents / run, unit: 'events/s', text: `${fmtNum(run)} s (${fmtInt(seeded.analysedEvents / run)} events/s)` },
        baseline: { value: seeded.analysedEvents / baseline, unit: 'events/s', text: `${fmtNum(baseline)} s (${fmtInt(seeded.analysedEvents / baseline)} events/s)`, what: 'one paged composite aggregation (series × 1-minute histogram) over the same week' },
        ratio: run / baseline,
        ratioMeaning: 'our time ÷ baseline time',
        goal: 'time ≤ 3× the composite aggregation',
        met: run <= 3 * baseline,
      });
      out.rows.push({
        scenario: 'insights',
        name: `live job, one tick at ${insightsApis} active APIs`,
        ours: { value: tick, unit: 's', text: `${fmtNum(tick, 2)} s per tick` },
        baseline: { value: 60, unit: 's', text: '60 s', what: 'the minute between two ticks' },
        ratio: tick / 60,
        ratioMeaning: 'tick time ÷ 60 s',
        goal: 'a tick fits in its minute',
        met: tick < 60,
      });
    } finally {
      await client.close();
    }
  },
};
