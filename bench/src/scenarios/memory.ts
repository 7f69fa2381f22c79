import { readFileSync } from 'node:fs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createOpenSearchClient } from '@trailscope/runtime';
import type { BenchContext, Scenario } from '../bench-context';
import type { BenchStack } from '../bench-stack';
import { createBenchS3, deleteBucket, ensureBucket, readManifest, sameManifest, writeManifest } from '../bench-buckets';
import { bigLogFile, type BigLogFile } from '../big-log-file';
import { fmtBytes, fmtInt, fmtMiB, fmtNum, round } from '../format';
import { countEvents } from '../namespace-admin';
import { dropNamespace } from '../namespace-lifecycle';
import { runPipelineIngest } from '../pipeline-ingest';

const RSS_GOAL_BYTES = 300 * 1024 * 1024;
/** Peak RSS growth allowed when the file doubles, for memory to count as flat. */
const FLAT_GROWTH = 0.1;

interface MemoryRun {
  targetBytes: number;
  events: number;
  uncompressedBytes: number;
  compressedBytes: number;
  peakRssBytes: number;
  idleRssBytes: number;
  seconds: number;
  workerCpuSeconds: number;
  /** NODE_OPTIONS of the worker, when the run caps its heap. */
  nodeOptions?: string;
}

async function uploadBig(ctx: BenchContext, stack: BenchStack, big: BigLogFile, mb: number): Promise<string> {
  const s3 = createBenchS3(stack.configFor(ctx.namespace('memup')));
  const bucket = `tsbench-memory-${mb}mib`;
  const manifest = { layout: 'memory-v1', key: big.key, events: big.events, compressedBytes: big.compressedBytes };
  if (!sameManifest(await readManifest(s3, bucket), manifest)) {
    await ensureBucket(s3, bucket);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: big.key, Body: readFileSync(big.file) }));
    await writeManifest(s3, bucket, manifest);
  }
  if (!ctx.options.keep && stack.source.startsWith('services named')) ctx.onCleanup(() => deleteBucket(s3, bucket));
  return bucket;
}

async function ingestBig(ctx: BenchContext, stack: BenchStack, big: BigLogFile, bucket: string, label: string, nodeOptions?: string): Promise<MemoryRun> {
  const ns = ctx.namespace(label);
  const config = stack.configFor(ns);
  try {
    const r = await runPipelineIngest(ctx, stack, { namespace: ns, bucket, workers: 1, label, workerNodeOptions: nodeOptions });
    const client = createOpenSearchClient(config);
    const indexed = await countEvents(client, config).finally(() => client.close());
    if (indexed !== big.events) throw new Error(`the worker indexed ${indexed} of ${big.events} events of ${big.key}`);
    return {
      targetBytes: 0,
      events: big.events,
      uncompressedBytes: big.uncompressedBytes,
      compressedBytes: big.compressedBytes,
      peakRssBytes: r.workerPeakRssBytes[0] ?? 0,
      idleRssBytes: r.workerIdleRssBytes[0] ?? 0,
      seconds: r.seconds,
      workerCpuSeconds: r.workerCpuSeconds[0] ?? 0,
      ...(nodeOptions ? { nodeOptions } : {}),
    };
  } finally {
    if (!ctx.options.keep) await dropNamespace(stack, ns);
  }
}

export const memoryScenario: Scenario = {
  id: 'memory',
  title: 'worker peak RSS on one large log file, and as its size doubles',
  async run(ctx, out) {
    const stack = await ctx.stack();
    const { memoryFileBytes: sizes, memoryHeapCapMiB: heapCap } = ctx.options.sizes;
    const runs: MemoryRun[] = [];
    out.method.push(
      'One generated log file per run (a single account, region and day; every record a full CloudTrail record), gzip-compressed, alone in its bucket.',
      'A fresh `trailscope worker` process, started as an operator starts it (default settings, no Node.js flags; one file, so one job), ingests it after `trailscope backfill` queues it. The command runs its work in a child process with a capped V8 heap (TRAILSCOPE_WORKER_HEAP_MB, default 192 MiB): the peak RSS reported is the sum of the kernel high-water marks (VmHWM of /proc/<pid>/status) of the launcher and the child, read until they exit, which covers every short peak and never understates the tree\'s peak.',
      `Flat as size doubles: the larger file's peak RSS may exceed the smaller one's by at most ${FLAT_GROWTH * 100}%.`,
    );
    let largest: { big: BigLogFile; bucket: string; mb: number } | undefined;
    for (const target of sizes) {
      const mb = Math.round(target / 1024 / 1024);
      ctx.log(`memory: preparing a ${mb} MiB log file`);
      const big = await bigLogFile(ctx.dataDir, target);
      const bucket = await uploadBig(ctx, stack, big, mb);
      const run = { ...(await ingestBig(ctx, stack, big, bucket, `mem${mb}`)), targetBytes: target };
      runs.push(run);
      largest = { big, bucket, mb };
      ctx.log(`memory: ${mb} MiB file, worker peak RSS ${fmtMiB(run.peakRssBytes)}`);
      out.data[`file ${mb} MiB: events`] = big.events;
      out.data[`file ${mb} MiB: uncompressed / gzip bytes`] = `${fmtInt(big.uncompressedBytes)} / ${fmtInt(big.compressedBytes)}`;
    }
    let capped: MemoryRun | undefined;
    if (heapCap > 0 && largest) {
      const nodeOptions = `--max-old-space-size=${heapCap}`;
      ctx.log(`memory: ${largest.mb} MiB file again, worker started with ${nodeOptions}`);
      capped = { ...(await ingestBig(ctx, stack, largest.big, largest.bucket, `mem${largest.mb}cap`, nodeOptions)), targetBytes: sizes[sizes.length - 1] ?? 0 };
      out.method.push(
        `Extra run: the largest file once more with the worker started with \`NODE_OPTIONS=${nodeOptions}\`, to show how much of the default run's RSS is V8 heap headroom (garbage not yet collected) rather than data the worker holds.`,
      );
    }
    out.figures = { runs, cappedRun: capped ?? null };
    const first = runs[0];
    runs.forEach((r, i) => {
      const growth = first && i > 0 ? r.peakRssBytes / first.peakRssBytes - 1 : undefined;
      const flat = growth === undefined || growth <= FLAT_GROWTH;
      out.rows.push({
        scenario: 'memory',
        name: `worker peak RSS, one ${fmtBytes(r.uncompressedBytes)} log file (${fmtBytes(r.compressedBytes)} gzip, ${fmtInt(r.events)} events)`,
        ours: {
          value: r.peakRssBytes,
          unit: 'B',
          text: `${fmtMiB(r.peakRssBytes)} (idle ${fmtMiB(r.idleRssBytes)}; ${fmtInt(r.events / r.seconds)} events/s)${growth === undefined ? '' : `, ${growth >= 0 ? '+' : ''}${fmtNum(growth * 100)}% vs the ${fmtMiB(first?.targetBytes ?? 0, 0)} file`}`,
        },
        goal: i === 0 ? `≤ ${fmtMiB(RSS_GOAL_BYTES, 0)}` : `≤ ${fmtMiB(RSS_GOAL_BYTES, 0)}, ≤ +${FLAT_GROWTH * 100}% as the file doubles`,
        met: r.peakRssBytes <= RSS_GOAL_BYTES && flat,
      });
    });
    if (capped) {
      const last = runs[runs.length - 1];
      out.rows.push({
        scenario: 'memory',
        name: `worker peak RSS, same ${fmtBytes(capped.uncompressedBytes)} file, worker run with ${capped.nodeOptions ?? ''}`,
        ours: { value: capped.peakRssBytes, unit: 'B', text: `${fmtMiB(capped.peakRssBytes)} (${fmtInt(capped.events / capped.seconds)} events/s)` },
        baseline: last ? { value: last.peakRssBytes, unit: 'B', text: `${fmtMiB(last.peakRssBytes)} (${fmtInt(last.events / last.seconds)} events/s)`, what: 'the default run above' } : undefined,
        ratio: last ? capped.peakRssBytes / last.peakRssBytes : undefined,
        ratioMeaning: 'capped ÷ default peak RSS',
        goal: 'report (evidence)',
        met: null,
      });
    }
    out.figures.growth = first && runs[1] ? round(runs[1].peakRssBytes / first.peakRssBytes - 1) : null;
  },
};
