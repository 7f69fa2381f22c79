import type { Scenario } from '../bench-context';
import { fmtInt, fmtNum, round } from '../format';
import { countEvents } from '../namespace-admin';
import { createOpenSearchClient } from '@trailscope/runtime';
import { runPipelineIngest } from '../pipeline-ingest';
import { dropNamespace, dropNamespaceLater } from '../namespace-lifecycle';
import type { IngestedNamespace } from './ingest';

export const scalingScenario: Scenario = {
  id: 'scaling',
  title: 'ingest throughput with 1 and 2 worker processes',
  async run(ctx, out) {
    const ingested = ctx.shared.get('ingested') as IngestedNamespace | undefined;
    if (!ingested) throw new Error('needs the ingest scenario: its 1-worker run is the reference');
    const stack = await ctx.stack();
    // the 1-worker run indexed into an empty node; give the 2-worker run the same start
    if (!ctx.options.keep) await dropNamespace(stack, ingested.namespace);
    let ns = ctx.namespace('ing2');
    dropNamespaceLater(ctx, stack, ns);
    let two;
    try {
      two = await runPipelineIngest(ctx, stack, { namespace: ns, bucket: ingested.dataset.bucket, workers: 2, label: 'scaling2' });
    } catch (err) {
      // Seen once on the shared machine: a worker killed by a signal nobody in this run sent. Start over, once,
      // in a fresh namespace, and say so.
      if (!(err instanceof Error) || !err.message.startsWith('a worker exited')) throw err;
      out.notes.push(`The first 2-worker run was abandoned and started over in a fresh namespace: ${err.message.split(':')[0]}.`);
      ctx.log(`scaling: ${err.message.split(':')[0]}; starting over once`);
      if (!ctx.options.keep) await dropNamespace(stack, ns);
      ns = ctx.namespace('ing2b');
      dropNamespaceLater(ctx, stack, ns);
      two = await runPipelineIngest(ctx, stack, { namespace: ns, bucket: ingested.dataset.bucket, workers: 2, label: 'scaling2b' });
    }
    const config = stack.configFor(ns);
    const client = createOpenSearchClient(config);
    try {
      const count = await countEvents(client, config);
      if (count !== ingested.dataset.events) throw new Error(`2 workers indexed ${count} documents, expected ${ingested.dataset.events}`);
    } finally {
      await client.close();
    }
    if (!ctx.options.keep) await dropNamespace(stack, ns);
    const one = ingested.oneWorker;
    const events = ingested.dataset.events;
    const r1 = events / one.seconds;
    const r2 = events / two.seconds;
    out.data = { events, 'log files': ingested.dataset.files, 'CPUs (shared with OpenSearch, Redis, S3)': ctx.machine.cpuCount };
    out.method.push(
      'The main data set ingested end to end as in the ingest scenario, once with one `trailscope worker` process (the ingest scenario\'s fastest round) and once with two, each into an empty namespace on the same node.',
      `Every process (workers, OpenSearch, Redis, the S3 server, the bench) shares the machine's ${ctx.machine.cpuCount} CPUs, so a second worker can only help as far as CPU is left over.`,
    );
    out.figures = {
      oneWorker: { seconds: round(one.seconds), eventsPerSecond: round(r1), workerCpuSeconds: one.workerCpuSeconds, opensearchCpuSeconds: round(one.opensearchCpuSeconds) },
      twoWorkers: { seconds: round(two.seconds), eventsPerSecond: round(r2), workerCpuSeconds: two.workerCpuSeconds, opensearchCpuSeconds: round(two.opensearchCpuSeconds), workerPeakRssBytes: two.workerPeakRssBytes },
      speedup: round(r2 / r1),
    };
    out.notes.push(
      `CPU seconds: 1 worker ${fmtNum(one.workerCpuSeconds.reduce((a, b) => a + b, 0))} (worker) + ${fmtNum(one.opensearchCpuSeconds)} (OpenSearch); 2 workers ${fmtNum(two.workerCpuSeconds.reduce((a, b) => a + b, 0))} + ${fmtNum(two.opensearchCpuSeconds)}.`,
    );
    out.rows.push({
      scenario: 'scaling',
      name: 'ingest throughput, 2 worker processes',
      ours: { value: r2, unit: 'events/s', text: `${fmtInt(r2)} events/s with 2 workers` },
      baseline: { value: r1, unit: 'events/s', text: `${fmtInt(r1)} events/s`, what: '1 worker process, same data' },
      ratio: r2 / r1,
      ratioMeaning: '2 workers ÷ 1 worker',
      goal: 'report',
      met: null,
    });
  },
};
