import { readFileSync } from 'node:fs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Scenario } from '../bench-context';
import { createBenchS3, deleteBucket, ensureBucket, readManifest, sameManifest, writeManifest } from '../bench-buckets';
import { bigLogFile } from '../big-log-file';
import { fmtBytes, fmtInt, fmtMiB, fmtNum, round } from '../format';
import { runPipelineIngest } from '../pipeline-ingest';
import { dropNamespace } from '../namespace-lifecycle';

const RSS_GOAL_BYTES = 300 * 1024 * 1024;
/** Peak RSS growth allowed when the file doubles, for memory to count as flat. */
const FLAT_GROWTH = 0.1;

export const memoryScenario: Scenario = {
  id: 'memory',
  title: 'worker peak RSS on one large log file, and as its size doubles',
  async run(ctx, out) {
    const stack = await ctx.stack();
    const sizes = ctx.options.sizes.memoryFileBytes;
    const runs: Array<{ targetBytes: number; events: number; uncompressedBytes: number; compressedBytes: number; peakRssBytes: number; idleRssBytes: number; seconds: number; workerCpuSeconds: number }> = [];
    out.method.push(
      'One generated log file per run (a single account, region and day; every record a full CloudTrail record), gzip-compressed, alone in its bucket.',
      'A fresh `trailscope worker` process (default settings, one job at a time since there is one file) ingests it through `trailscope backfill --wait`; its peak RSS is the kernel high-water mark VmHWM of /proc/<pid>/status, read until the process exits, which covers every short peak.',
      `Flat as size doubles: the larger file's peak RSS may exceed the smaller one's by at most ${FLAT_GROWTH * 100}%.`,
    );
    for (const target of sizes) {
      const mb = Math.round(target / 1024 / 1024);
      ctx.log(`memory: preparing a ${mb} MiB log file`);
      const big = await bigLogFile(ctx.dataDir, target);
      const ns = ctx.namespace(`mem${mb}`);
      const config = stack.configFor(ns);
      const s3 = createBenchS3(config);
      const bucket = `tsbench-memory-${mb}mib`;
      const manifest = { layout: 'memory-v1', key: big.key, events: big.events, compressedBytes: big.compressedBytes };
      if (!sameManifest(await readManifest(s3, bucket), manifest)) {
        await ensureBucket(s3, bucket);
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: big.key, Body: readFileSync(big.file) }));
        await writeManifest(s3, bucket, manifest);
      }
      if (!ctx.options.keep && stack.source.startsWith('services named')) ctx.onCleanup(() => deleteBucket(s3, bucket));
      try {
        const r = await runPipelineIngest(ctx, stack, { namespace: ns, bucket, workers: 1, label: `memory${mb}` });
        if (r.eventsIndexed !== big.events) throw new Error(`the worker indexed ${r.eventsIndexed} of ${big.events} events of the ${mb} MiB file`);
        runs.push({
          targetBytes: target,
          events: big.events,
          uncompressedBytes: big.uncompressedBytes,
          compressedBytes: big.compressedBytes,
          peakRssBytes: r.workerPeakRssBytes[0] ?? 0,
          idleRssBytes: r.workerIdleRssBytes[0] ?? 0,
          seconds: r.seconds,
          workerCpuSeconds: r.workerCpuSeconds[0] ?? 0,
        });
        ctx.log(`memory: ${mb} MiB file, worker peak RSS ${fmtMiB(r.workerPeakRssBytes[0] ?? 0)}`);
      } finally {
        if (!ctx.options.keep) await dropNamespace(stack, ns);
      }
    }
    out.figures = { runs };
    for (const r of runs) {
      out.data[`file ${fmtMiB(r.targetBytes, 0)}: events`] = r.events;
      out.data[`file ${fmtMiB(r.targetBytes, 0)}: uncompressed / gzip bytes`] = `${fmtInt(r.uncompressedBytes)} / ${fmtInt(r.compressedBytes)}`;
    }
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
    out.figures.growth = first && runs[1] ? round(runs[1].peakRssBytes / first.peakRssBytes - 1) : null;
  },
};
