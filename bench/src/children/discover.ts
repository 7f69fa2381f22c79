/**
 * Child process of the discovery scenario, so that each listing strategy's memory is measured on its own:
 * `node discover.js planner|sequential --bucket B [--from D] [--to D] [--concurrency N]`; prints one JSON line.
 */
import { parseArgs } from 'node:util';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { parseLogKey } from '@trailscope/model';
import { createS3Client, loadConfig } from '@trailscope/runtime';
import { listPages } from '@trailscope/s3';
import { listStreams, planStreams } from '@trailscope/poller';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { bucket: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, concurrency: { type: 'string' } },
    allowPositionals: true,
  });
  const mode = positionals[0];
  if (!values.bucket || (mode !== 'planner' && mode !== 'sequential')) throw new Error('usage: discover planner|sequential --bucket B');
  const bucket = values.bucket;
  const config = loadConfig();
  const s3 = createS3Client(config);
  // every ListObjectsV2 request, discovery's Delimiter listings included
  let requests = 0;
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === ListObjectsV2Command.name) requests += 1;
      return next(args);
    },
    { step: 'initialize', name: 'countListRequests' },
  );
  const concurrency = values.concurrency ? Number(values.concurrency) : config.ingest.listConcurrency;
  // heap in use, sampled: the retained memory a listing strategy needs, apart from how lazily the GC returns it
  let peakHeapUsedBytes = 0;
  const heapTimer = setInterval(() => {
    peakHeapUsedBytes = Math.max(peakHeapUsedBytes, process.memoryUsage().heapUsed);
  }, 20);
  const t0 = performance.now();
  let files = 0;
  let partitions = 0;
  if (mode === 'planner') {
    // exactly the listing of `backfill` and `poll` (runIngestPass), with the Redis work of each day left out
    const plan = await planStreams(s3, { bucket, from: values.from, to: values.to, concurrency });
    const result = await listStreams(s3, plan.listings, { bucket, concurrency }, async (_listing, batch) => {
      if (batch.date === undefined) return;
      partitions += 1;
      files += batch.files.filter((f) => f.kind === 'log').length;
    });
    if (result.listingErrors.length > 0) throw new Error(`listing failed: ${JSON.stringify(result.listingErrors[0])}`);
  } else {
    for await (const page of listPages(s3, { bucket, prefix: '' })) {
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
