import { assertAccounted } from '@trailscope/indexer';
import type { Config } from '@trailscope/runtime';
import { createOpenSearchClient } from '@trailscope/runtime';
import type { Scenario } from '../bench-context';
import { createBenchS3, deleteBucket } from '../bench-buckets';
import { BASELINE_BULK, baselineBulk, type BaselineBulkResult } from '../baseline-bulk';
import { median } from '../percentile';
import { CLI_BIN, runNode } from '../child-process';
import { fmtBytes, fmtInt, fmtMiB, fmtNum, round } from '../format';
import { prepareMainDataset, type MainDataset } from '../main-dataset';
import { countEvents } from '../namespace-admin';
import { dropNamespace, dropNamespaceLater, settingsOf } from '../namespace-lifecycle';
import { opensearchCpuMillis } from '../opensearch-cpu';
import { runPipelineIngest, type PipelineIngestResult } from '../pipeline-ingest';
import { writerRun, type WriterRun } from '../writer-uniqueness';

const RATIO_GOAL = 0.85;

/** What the ingest scenario leaves for query, storage and scaling. */
export interface IngestedNamespace {
  namespace: string;
  config: Config;
  dataset: MainDataset;
  events: number;
  /** The fastest 1-worker round: the reference the scaling scenario compares 2 workers with. */
  oneWorker: PipelineIngestResult;
}

export const ingestScenario: Scenario = {
  id: 'ingest',
  title: 'end to end: S3 → poller → BullMQ → worker → OpenSearch',
  async run(ctx, out) {
    const stack = await ctx.stack();
    const oursNs = ctx.namespace('ing1');
    const baseNs = ctx.namespace('bulk');
    const oursConfig = stack.configFor(oursNs);
    const s3 = createBenchS3(oursConfig);
    const dataset = await prepareMainDataset(ctx, s3);
    if (!ctx.options.keep && stack.source.startsWith('services named')) ctx.onCleanup(() => deleteBucket(s3, dataset.bucket));
    ctx.shared.set('settings', settingsOf(oursConfig));
    out.data = {
      events: dataset.events,
      'log files': dataset.files,
      'events per file': dataset.spec.eventsPerFile,
      'compressed bytes in S3': dataset.compressedBytes,
      'uncompressed bytes': dataset.uncompressedBytes,
      'EventDoc JSON bytes (baseline input)': dataset.docsBytes,
      accounts: dataset.spec.accounts.length + dataset.spec.orgAccounts.length,
      regions: dataset.spec.regions.length,
      'delivery days': dataset.spec.days.length,
    };
    out.method.push(
      `${fmtInt(dataset.events)} generated events in ${fmtInt(dataset.files)} gzip log files (${fmtBytes(dataset.compressedBytes)}, ${fmtBytes(dataset.uncompressedBytes)} uncompressed) in one bucket of the stack's S3 server, ${dataset.spec.accounts.length + dataset.spec.orgAccounts.length} accounts x ${dataset.spec.regions.length} regions x ${dataset.spec.days.length} days.`,
      'Ours: `trailscope setup`, one long-running `trailscope worker` process (default settings), then `trailscope backfill --bucket B --json` (list and queue); timed from the start of the backfill until the queue is drained, every job completed: listing, BullMQ, S3 GETs, parsing, bulk indexing. Events/s = events ÷ that time.',
      `Baseline: the same events, already converted to the same EventDocs by our parser before the clock starts, streamed from a local file into the opensearch-js bulk helper (\`client.helpers.bulk\`, flushBytes ${fmtInt(BASELINE_BULK.flushBytes)}, concurrency ${BASELINE_BULK.concurrency}) as \`create\` actions with the same ids, into a fresh namespace whose indices come from the same template installed by \`trailscope setup\`: the cluster's indexing capacity with no pipeline at all.`,
      `Before the first round, one untimed pass of our pipeline over the first delivery day (${fmtInt(dataset.events / dataset.spec.days.length)} events) into a throwaway namespace warms the OpenSearch JVM and the S3 server for both sides (the first ingest after a stack start measured up to twice as slow, with twice the OpenSearch CPU). Both run against the same OpenSearch node one after the other (ours first, so caches warmed by it help the baseline, not us), ${ctx.options.sizes.ingestRounds} round(s), each into fresh namespaces; each namespace is counted after a refresh and must hold exactly the data set. Figures shown are each side's fastest round; the ratio is the median of the per-round ratios.`,
    );

    out.method.push(
      'Store-wide event ids: our bulk writer alone (in the bench process, default flush settings) fed the same EventDocs from the local file, once claiming each event id in the event-id index before creating it (as every ingest does) and once without claims, into fresh namespaces, alternating which runs first; the row compares the fastest of each.',
    );
    const rounds = ctx.options.sizes.ingestRounds;
    const client = createOpenSearchClient(oursConfig);
    // A freshly started stack is cold: OpenSearch's JVM is still compiling its hot paths, the S3 server has never
    // served these objects. The first ingest after a start measured up to twice as slow with twice the OpenSearch
    // CPU, whichever way it ran, so one untimed pass of our pipeline warms everything for both sides.
    const warmNs = ctx.namespace('warm');
    const warmTo = dataset.spec.days[0] as string;
    ctx.log(`ingest: untimed warm-up pass over the files delivered on ${warmTo}`);
    await runPipelineIngest(ctx, stack, { namespace: warmNs, bucket: dataset.bucket, workers: 1, label: 'ingest-warmup', backfillArgs: ['--to', warmTo] }).finally(() =>
      dropNamespace(stack, warmNs),
    );

    const ourRuns: PipelineIngestResult[] = [];
    const baseRuns: Array<BaselineBulkResult & { opensearchCpuSeconds: number; clientCpuSeconds: number }> = [];
    try {
      for (let round = 0; round < rounds; round += 1) {
        // round 1's namespace is kept for query, storage and scaling; later rounds only measure
        const ns = round === 0 ? oursNs : ctx.namespace(`ing1r${round + 1}`);
        const config = round === 0 ? oursConfig : stack.configFor(ns);
        dropNamespaceLater(ctx, stack, ns);
        const ours = await runPipelineIngest(ctx, stack, { namespace: ns, bucket: dataset.bucket, workers: 1, label: `ingest1-round${round + 1}` });
        const oursCount = await countEvents(client, config);
        if (oursCount !== dataset.events) throw new Error(`our pipeline indexed ${oursCount} documents, expected ${dataset.events}`);
        if (round > 0 && !ctx.options.keep) await dropNamespace(stack, ns);
        ourRuns.push(ours);
        ctx.log(`ingest round ${round + 1} ours: ${fmtInt(dataset.events / ours.seconds)} events/s (${fmtNum(ours.seconds)} s)`);

        const bns = round === 0 ? baseNs : ctx.namespace(`bulkr${round + 1}`);
        dropNamespaceLater(ctx, stack, bns);
        const baseConfig = stack.configFor(bns);
        await runNode({ args: [CLI_BIN, 'setup'], env: stack.envFor(bns), label: 'baseline-setup' });
        const cpu0 = await opensearchCpuMillis(client);
        // the bench process does nothing but the baseline meanwhile: its CPU is the bulk client's
        const clientCpu0 = process.cpuUsage();
        const base = await baselineBulk(client, baseConfig, dataset.docsFile);
        const clientCpu = process.cpuUsage(clientCpu0);
        const baseCpu = ((await opensearchCpuMillis(client)) - cpu0) / 1000;
        const baseCount = await countEvents(client, baseConfig);
        if (base.failed > 0 || baseCount !== dataset.events) {
          throw new Error(`baseline indexed ${baseCount} documents (${base.failed} failed), expected ${dataset.events}`);
        }
        // the baseline copy has served its purpose; free the node for what follows
        if (!ctx.options.keep) await dropNamespace(stack, bns);
        baseRuns.push({ ...base, opensearchCpuSeconds: baseCpu, clientCpuSeconds: (clientCpu.user + clientCpu.system) / 1e6 });
        ctx.log(`ingest round ${round + 1} baseline: ${fmtInt(dataset.events / base.seconds)} events/s (${fmtNum(base.seconds)} s)`);
      }
      const pairRatios = ourRuns.map((o, i) => (baseRuns[i] as BaselineBulkResult).seconds / o.seconds);
      const ratio = median(pairRatios);
      const ours = ourRuns.reduce((a, b) => (b.seconds < a.seconds ? b : a));
      const base = baseRuns.reduce((a, b) => (b.seconds < a.seconds ? b : a));
      const baseCpu = base.opensearchCpuSeconds;
      const ourRate = dataset.events / ours.seconds;
      const baseRate = dataset.events / base.seconds;
      out.figures = {
        ours: ourRuns.map((r) => ({ ...r, eventsPerSecond: round(dataset.events / r.seconds) })),
        baseline: baseRuns.map((r) => ({ ...r, eventsPerSecond: round(dataset.events / r.seconds), settings: BASELINE_BULK })),
        ratio: round(ratio),
        pairRatios: pairRatios.map((r) => round(r)),
      };
      out.notes.push(
        `CPU seconds during the fastest rounds: ours ${fmtNum(ours.workerCpuSeconds.reduce((a, b) => a + b, 0))} in the worker + ${fmtNum(ours.opensearchCpuSeconds)} in OpenSearch${ours.serviceCpuSeconds.s3 !== undefined ? ` + ${fmtNum(ours.serviceCpuSeconds.s3)} in the S3 server` : ''}${ours.serviceCpuSeconds.redis !== undefined ? ` + ${fmtNum(ours.serviceCpuSeconds.redis)} in Redis` : ''}; baseline ${fmtNum(baseCpu)} in OpenSearch. Worker peak RSS ${fmtMiB(ours.workerPeakRssBytes[0] ?? 0)}, backfill process peak RSS ${fmtMiB(ours.backfillPeakRssBytes)}.`,
      );
      out.rows.push({
        scenario: 'ingest',
        name: `ingest throughput, ${fmtInt(dataset.events)} events`,
        ours: { value: ourRate, unit: 'events/s', text: `${fmtInt(ourRate)} events/s (${fmtNum(ours.seconds)} s, 1 worker process)` },
        baseline: { value: baseRate, unit: 'events/s', text: `${fmtInt(baseRate)} events/s (${fmtNum(base.seconds)} s)`, what: 'client.helpers.bulk of the same docs' },
        ratio,
        ratioMeaning: rounds > 1 ? `ours ÷ baseline events/s, median of ${rounds} back-to-back rounds` : 'ours ÷ baseline events/s',
        goal: `ratio ≥ ${RATIO_GOAL}`,
        met: ratio >= RATIO_GOAL,
      });
      const oursCount = dataset.events;
      // Where the CPU goes. OpenSearch, the pipeline and the services share the machine's cores, so when they are all
      // busy the throughput ratio cannot exceed the ratio of CPU spent per event; OpenSearch's own CPU per event shows
      // whether our pipeline makes the cluster work harder than the baseline does.
      const perEvent = (cpuSeconds: number) => (cpuSeconds * 1e6) / dataset.events;
      const oursWorker = ours.workerCpuSeconds.reduce((a, b) => a + b, 0);
      const oursOther = ours.backfillCpuSeconds + (ours.serviceCpuSeconds.s3 ?? 0) + (ours.serviceCpuSeconds.redis ?? 0);
      const oursTotal = oursWorker + ours.opensearchCpuSeconds + oursOther;
      const baseTotal = base.opensearchCpuSeconds + base.clientCpuSeconds;
      const services = `${ours.serviceCpuSeconds.s3 !== undefined ? ' + S3 server' : ''}${ours.serviceCpuSeconds.redis !== undefined ? ' + Redis' : ''}`;
      out.rows.push({
        scenario: 'ingest',
        name: 'ingest CPU per event, all processes (fastest rounds)',
        ours: {
          value: perEvent(oursTotal),
          unit: 'µs/event',
          text: `${fmtNum(perEvent(oursTotal))} µs (worker ${fmtNum(perEvent(oursWorker))}, OpenSearch ${fmtNum(perEvent(ours.opensearchCpuSeconds))}, backfill${services} ${fmtNum(perEvent(oursOther))})`,
        },
        baseline: {
          value: perEvent(baseTotal),
          unit: 'µs/event',
          text: `${fmtNum(perEvent(baseTotal))} µs (bulk client ${fmtNum(perEvent(base.clientCpuSeconds))}, OpenSearch ${fmtNum(perEvent(base.opensearchCpuSeconds))})`,
          what: 'client.helpers.bulk of the same docs',
        },
        ratio: baseTotal / oursTotal,
        ratioMeaning: 'baseline ÷ ours CPU per event: the highest throughput ratio possible while all processes share the same cores',
        goal: 'diagnostic (where the time goes)',
        met: null,
      });
      out.rows.push({
        scenario: 'ingest',
        name: 'OpenSearch CPU per event (fastest rounds)',
        ours: { value: perEvent(ours.opensearchCpuSeconds), unit: 'µs/event', text: `${fmtNum(perEvent(ours.opensearchCpuSeconds))} µs` },
        baseline: { value: perEvent(base.opensearchCpuSeconds), unit: 'µs/event', text: `${fmtNum(perEvent(base.opensearchCpuSeconds))} µs`, what: 'client.helpers.bulk of the same docs' },
        ratio: base.opensearchCpuSeconds / ours.opensearchCpuSeconds,
        ratioMeaning: 'baseline ÷ ours: 1 when our pipeline costs the cluster no more per event than the direct bulk load',
        goal: 'diagnostic (where the time goes)',
        met: null,
      });
      // What store-wide uniqueness costs: our bulk writer alone on the same docs, with and without claiming each
      // event id in the event-id index, alternating which goes first, into fresh namespaces.
      const claimRuns: WriterRun[] = [];
      const plainRuns: WriterRun[] = [];
      for (let round = 0; round < rounds; round += 1) {
        for (const uniqueIds of round % 2 === 0 ? [false, true] : [true, false]) {
          const ns = ctx.namespace(`${uniqueIds ? 'uniq' : 'plain'}r${round + 1}`);
          dropNamespaceLater(ctx, stack, ns);
          const nsConfig = stack.configFor(ns);
          const run = await writerRun(client, nsConfig, dataset.docsFile, uniqueIds);
          // Every record is accounted for, and (the data set's ids being unique) each is a document of its own.
          assertAccounted(dataset.events, run.stats, `the bulk writer (uniqueIds ${uniqueIds})`);
          const stored = await countEvents(client, nsConfig);
          if (run.stats.indexed !== dataset.events || stored !== dataset.events) {
            throw new Error(`the bulk writer (uniqueIds ${uniqueIds}) counted ${run.stats.indexed} documents created and the store holds ${stored}, expected ${dataset.events}: ${JSON.stringify(run.stats)}`);
          }
          if (!ctx.options.keep) await dropNamespace(stack, ns);
          (uniqueIds ? claimRuns : plainRuns).push(run);
          ctx.log(`ingest round ${round + 1} bulk writer ${uniqueIds ? 'with' : 'without'} id claims: ${fmtInt(dataset.events / run.seconds)} events/s (${fmtNum(run.seconds)} s)`);
        }
      }
      const fastest = (runs: WriterRun[]) => runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
      const withClaims = fastest(claimRuns);
      const without = fastest(plainRuns);
      const uniqRatios = claimRuns.map((c, i) => (plainRuns[i] as WriterRun).seconds / c.seconds);
      out.figures.writerUniqueness = { withClaims: claimRuns, withoutClaims: plainRuns, ratios: uniqRatios.map((r) => round(r)) };
      out.rows.push({
        scenario: 'ingest',
        name: 'store-wide event ids: bulk writer with id claims',
        ours: {
          value: dataset.events / withClaims.seconds,
          unit: 'events/s',
          text: `${fmtInt(dataset.events / withClaims.seconds)} events/s (${fmtNum(withClaims.seconds)} s; OpenSearch CPU ${fmtNum(perEvent(withClaims.opensearchCpuSeconds))} µs/event, writer ${fmtNum(perEvent(withClaims.writerCpuSeconds))} µs/event)`,
        },
        baseline: {
          value: dataset.events / without.seconds,
          unit: 'events/s',
          text: `${fmtInt(dataset.events / without.seconds)} events/s (${fmtNum(without.seconds)} s; OpenSearch CPU ${fmtNum(perEvent(without.opensearchCpuSeconds))} µs/event, writer ${fmtNum(perEvent(without.writerCpuSeconds))} µs/event)`,
          what: 'the same writer without claims (ids unique per index only)',
        },
        ratio: median(uniqRatios),
        ratioMeaning: `with ÷ without claims, events/s, median of ${rounds} round(s)`,
        goal: 'diagnostic (the cost of one document per event id store-wide)',
        met: null,
      });
      const ingested: IngestedNamespace = { namespace: oursNs, config: oursConfig, dataset, events: oursCount, oneWorker: ours };
      ctx.shared.set('ingested', ingested);
    } finally {
      await client.close();
    }
  },
};
