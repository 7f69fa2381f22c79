/**
 * Child process of the discovery scenario, so that each listing strategy's memory is measured on its own:
 * `node discover.js planner|sequential --bucket B [--from D] [--to D] [--concurrency N]`; prints one JSON line.
 */
import { parseArgs } from 'node:util';
import { parseLogKey } from '@trailscope/model';
import { createS3Client, loadConfig } from '@trailscope/runtime';
import { listPages, listPartition } from '@trailscope/s3';
import { forEachConcurrent, planPartitions } from '@trailscope/poller';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { bucket: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, concurrency: { type: 'string' } },
    allowPositionals: true,
  });
  const mode = positionals[0];
  if (!values.bucket || (mode !== 'planner' && mode !== 'sequential')) throw new Error('usage: discover planner|sequential --bucket B');
  const config = loadConfig();
  const s3 = createS3Client(config);
  const concurrency = values.concurrency ? Number(values.concurrency) : config.ingest.listConcurrency;
  // heap in use, sampled: the retained memory a listing strategy needs, apart from how lazily the GC returns it
  let peakHeapUsedBytes = 0;
  const heapTimer = setInterval(() => {
    peakHeapUsedBytes = Math.max(peakHeapUsedBytes, process.memoryUsage().heapUsed);
  }, 20);
  const t0 = performance.now();
  let files = 0;
  let requests = 0;
  let partitions = 0;
  if (mode === 'planner') {
    const plan = await planPartitions(s3, { bucket: values.bucket, from: values.from, to: values.to, concurrency });
    partitions = plan.partitions.length;
    await forEachConcurrent(plan.partitions, concurrency, async (p) => {
      for await (const page of listPartition(s3, { bucket: values.bucket as string, prefix: p.prefix })) {
        requests += 1;
        files += page.files.length;
      }
    });
  } else {
    for await (const page of listPages(s3, { bucket: values.bucket, prefix: '' })) {
      requests += 1;
      for (const o of page.objects) {
        const info = parseLogKey(o.key);
        if (info.kind === 'log' && (!values.from || (info.deliveryDate ?? '') >= values.from) && (!values.to || (info.deliveryDate ?? '') <= values.to)) files += 1;
      }
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(heapTimer);
  process.stdout.write(`${JSON.stringify({ mode, files, partitions, listRequests: requests, seconds, concurrency, peakHeapUsedBytes })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`discover failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
