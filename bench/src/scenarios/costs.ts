import type { S3Client } from '@aws-sdk/client-s3';
import type { Queue } from 'bullmq';
import { createIngestQueue, DoneTracker, Producer } from '@trailscope/queue';
import { installTemplates } from '@trailscope/indexer';
import { runIngestPass } from '@trailscope/poller';
import { startWorker, syncIngestState } from '@trailscope/worker';
import { createLogger, createOpenSearchClient, createRedis, scanKeys, type Config, type OpenSearchClient, type Redis } from '@trailscope/runtime';
import type { Scenario } from '../bench-context';
import { createBenchS3, deleteBucket, ensureBucket, uploadAll } from '../bench-buckets';
import { fmtBytes, fmtInt, fmtNum, round } from '../format';
import { countEvents, eventIndexStats, settledStoreBytes } from '../namespace-admin';
import { dropNamespace, dropNamespaceLater } from '../namespace-lifecycle';
import { runPipelineIngest } from '../pipeline-ingest';
import { datasetFiles, datasetOf, datasetTotals } from '../trail-dataset';

/**
 * Small on purpose: the per-event and per-file costs do not depend on the size, and files of 50 events (CloudTrail
 * delivers every few minutes, so most files are small) give many files per day folder, as a real trail has.
 */
const EVENTS = { quick: 20_000, full: 100_000 } as const;
const EVENTS_PER_FILE = 50;
/** Files of one synthetic open (today's) day folder, to measure a done marker before its folder is sealed. */
const OPEN_DAY_FILES = 500;

/**
 * Counts every S3 request sent (each HTTP attempt, retries included) by command name; listings by delimiter (the
 * discovery of accounts and regions) count apart as `ListObjectsV2Command/delimiter`.
 */
function countRequests(s3: S3Client): Map<string, number> {
  const counts = new Map<string, number>();
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String((context as { commandName?: string }).commandName ?? 'unknown');
      const byDelimiter = command === 'ListObjectsV2Command' && Boolean((args.input as { Delimiter?: string }).Delimiter);
      const name = byDelimiter ? `${command}/delimiter` : command;
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'deserialize', name: 'benchRequestCounter' },
  );
  return counts;
}

async function memoryUsage(redis: Redis, key: string): Promise<number> {
  // SAMPLES 0: every element of a collection is measured, not an estimate from 5 of them
  return Number((await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0);
}

async function keysBytes(redis: Redis, pattern: string): Promise<{ keys: number; bytes: number }> {
  let keys = 0;
  let bytes = 0;
  for await (const page of scanKeys(redis, pattern)) {
    for (const key of page) {
      keys += 1;
      bytes += await memoryUsage(redis, key);
    }
  }
  return { keys, bytes };
}

async function waitForQueue(queue: Queue, done: (c: Record<string, number>) => boolean, what: string, timeoutMs = 30 * 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done(await queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed'))) {
    if (Date.now() > deadline) throw new Error(`costs: ${what} did not happen within ${timeoutMs / 60_000} minutes`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function indexBytes(client: OpenSearchClient, config: Config): Promise<{ eventBytes: number; eventIdBytes: number; docs: number }> {
  await client.indices.refresh({ index: `${config.names.eventIndexPattern},${config.names.eventIdsIndex}` });
  await client.indices.flush({ index: `${config.names.eventIndexPattern},${config.names.eventIdsIndex}` });
  const eventBytes = await settledStoreBytes(client, config);
  const docs = (await eventIndexStats(client, config)).docs;
  const ids = await client.indices.stats({ index: config.names.eventIdsIndex, metric: ['store'] });
  const eventIdBytes = (ids.body as { _all: { primaries: { store: { size_in_bytes: number } } } })._all.primaries.store.size_in_bytes;
  return { eventBytes, eventIdBytes, docs };
}

export const costsScenario: Scenario = {
  id: 'costs',
  title: 'cost per component: worker, OpenSearch, Redis and S3, per event and per file',
  async run(ctx, out) {
    const stack = await ctx.stack();
    const events = EVENTS[ctx.options.mode];
    const spec = datasetOf('costs', 18, events, EVENTS_PER_FILE);
    const totals = datasetTotals(spec);
    const bucket = `tsbench-costs-${ctx.runId}`;
    const upload = createBenchS3(stack.configFor(ctx.namespace('costs-upload')));
    await ensureBucket(upload, bucket);
    ctx.onCleanup(async () => {
      await deleteBucket(upload, bucket);
      upload.destroy();
    });
    let gzipBytes = 0;
    await uploadAll(
      upload,
      bucket,
      (function* () {
        for (const f of datasetFiles(spec)) {
          gzipBytes += f.body.length;
          yield f;
        }
      })(),
      16,
    );
    ctx.log(`costs: ${fmtInt(totals.files)} files, ${fmtInt(totals.events)} events in ${bucket}`);

    // 1. Worker and OpenSearch: the pipeline as deployed (setup, one `trailscope worker` process, `backfill`).
    const nsA = ctx.namespace('costs');
    dropNamespaceLater(ctx, stack, nsA);
    const run = await runPipelineIngest(ctx, stack, { namespace: nsA, bucket, workers: 1, label: 'costs' });
    const configA = stack.configFor(nsA);
    const clientA = createOpenSearchClient(configA, { requestTimeoutMs: 10 * 60_000 });
    let stored;
    try {
      const count = await countEvents(clientA, configA);
      if (count !== totals.events) throw new Error(`costs: ${count} documents indexed, expected ${totals.events}`);
      stored = await indexBytes(clientA, configA);
    } finally {
      await clientA.close();
    }
    if (!ctx.options.keep) await dropNamespace(stack, nsA);
    const workerCpuUs = ((run.workerCpuSeconds[0] ?? 0) * 1e6) / totals.events;
    const opensearchCpuUs = (run.opensearchCpuSeconds * 1e6) / totals.events;
    const workerPeakRss = run.workerPeakRssBytes[0] ?? 0;
    const workerIdleRss = run.workerIdleRssBytes[0] ?? 0;
    const opensearchBytesPerEvent = (stored.eventBytes + stored.eventIdBytes) / totals.events;

    // 2. Redis and S3: the same listing and worker in this process, with every S3 request counted and the Redis
    // keys measured (MEMORY USAGE) after queueing, after the files are done, and for a folder not yet sealed.
    const nsB = ctx.namespace('costs-redis');
    dropNamespaceLater(ctx, stack, nsB);
    const config = stack.configFor(nsB);
    const logger = createLogger({ level: 'warn', name: 'bench-costs' });
    const redis = createRedis(config);
    const s3 = createBenchS3(config);
    const requests = countRequests(s3);
    const opensearch = createOpenSearchClient(config);
    const queue = createIngestQueue(config, redis);
    const done = new DoneTracker(redis, config.names.redisPrefix);
    const producer = new Producer({ queue, redis, maxWaitingJobs: totals.files + 1, logger });
    const queuePattern = `bull:${config.names.ingestQueue}:*`;
    try {
      // As `setup` then `backfill` do before listing: record the store's generation, or the worker starting later
      // would find none recorded and drop the seals the listing wrote.
      await installTemplates(opensearch, config);
      await syncIngestState({ opensearch, redis, config, logger });
      const listed = await runIngestPass({ s3, producer, done, logger }, { bucket, concurrency: config.ingest.listConcurrency });
      if (listed.filesQueued !== totals.files) throw new Error(`costs: ${listed.filesQueued} files queued, expected ${totals.files}`);
      const listRequests = (requests.get('ListObjectsV2Command') ?? 0) + (requests.get('ListObjectsV2Command/delimiter') ?? 0);
      const queued = await keysBytes(redis, queuePattern);
      const [oneJob] = await queue.getWaiting(0, 0);
      const oneJobBytes = oneJob?.id ? await memoryUsage(redis, queue.toKey(oneJob.id)) : 0;
      requests.clear();

      const worker = await startWorker({ config, logger, s3, opensearch, redis }, { installTemplates: true });
      try {
        await waitForQueue(queue, (c) => (c.completed ?? 0) + (c.failed ?? 0) >= totals.files && !c.waiting && !c.active && !c.delayed, 'every file done');
      } finally {
        await worker.close();
      }
      const getRequests = requests.get('GetObjectCommand') ?? 0;
      const workerRequests = [...requests.values()].reduce((a, b) => a + b, 0);
      const completed = await keysBytes(redis, queuePattern);
      const completeMarkers = Number(await redis.hlen(`${config.names.redisPrefix}complete`));
      const completeBytes = await memoryUsage(redis, `${config.names.redisPrefix}complete`);

      // A folder of today is not sealed: each done file is a set member until the day ends and all are done.
      const today = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
      const openPrefix = `AWSLogs/999999999999/CloudTrail/us-east-1/${today}/`;
      for (let i = 0; i < OPEN_DAY_FILES; i += 1) {
        await done.markDone({ bucket, key: `${openPrefix}999999999999_CloudTrail_us-east-1_${today.replace(/\//g, '')}T${String(i).padStart(4, '0')}Z_${String(i).padStart(16, '0')}.json.gz`, etag: `"${String(i).padStart(32, '0')}"` });
      }
      const openSet = await keysBytes(redis, `${config.names.redisPrefix}done:*`);

      // A poll cycle over a trail with nothing new: listing from the checkpoints the first pass left, as the poller does.
      requests.clear();
      const poll = await runIngestPass({ s3, producer, done, logger }, { bucket, concurrency: config.ingest.listConcurrency, checkpoints: listed.lastKeyByStream });
      const pollStreamLists = requests.get('ListObjectsV2Command') ?? 0;
      const pollDiscoveryLists = requests.get('ListObjectsV2Command/delimiter') ?? 0;
      const pollLists = pollStreamLists + pollDiscoveryLists;
      const accounts = spec.accounts.length + spec.orgAccounts.length;

      const perQueuedFile = queued.bytes / totals.files;
      const perCompletedJob = completed.bytes / totals.files;
      const perSealedFolder = completeMarkers > 0 ? completeBytes / completeMarkers : 0;
      const perOpenFile = openSet.bytes / OPEN_DAY_FILES;
      const listPerFile = listRequests / totals.files;
      const getPerFile = getRequests / totals.files;
      const pollListsPerStream = pollLists / Math.max(1, poll.streams);

      out.data = {
        events: totals.events,
        'log files': totals.files,
        'events per file': EVENTS_PER_FILE,
        'account/region streams': poll.streams,
        'day folders': totals.partitions,
        'gzip bytes in S3': gzipBytes,
      };
      out.method.push(
        `Worker and OpenSearch: ${fmtInt(totals.events)} events in ${fmtInt(totals.files)} log files of ${EVENTS_PER_FILE} events ingested as deployed (\`trailscope setup\`, one \`trailscope worker\` process, \`trailscope backfill\`), CPU seconds of the worker process and of the OpenSearch node (node stats) from the start of the backfill until the queue drained, divided by the events. OpenSearch bytes: primary store of the event indices and of the event-id index after a refresh and flush, not force-merged (what a live store holds), ${configA.index.replicas} replicas; every replica adds as much again.`,
        'Redis and S3: the same listing (the poller\'s ingest pass) and worker run in the bench process with an S3 client counting every request it sends, and Redis `MEMORY USAGE <key> SAMPLES 0` summed over the keys of the queue after queueing (every job waiting), after every file is done (completed jobs are kept for an hour, at most 10,000), over the completion markers of sealed day folders, and over the done set of a day folder still open (today\'s: one member per done file until the day is over).',
        `A poll cycle: the ingest pass again from the checkpoints the first pass left (as \`trailscope poll\` lists: each stream from the day before its last key), nothing new; its LIST requests divided by the account/region streams (${poll.streams}), discovery included.`,
      );
      out.figures = {
        worker: { cpuSeconds: round(run.workerCpuSeconds[0] ?? 0), cpuMicrosPerEvent: round(workerCpuUs), peakRssBytes: workerPeakRss, idleRssBytes: workerIdleRss, concurrency: configA.ingest.workerConcurrency },
        opensearch: {
          cpuSeconds: round(run.opensearchCpuSeconds),
          cpuMicrosPerEvent: round(opensearchCpuUs),
          eventIndexBytes: stored.eventBytes,
          eventIdIndexBytes: stored.eventIdBytes,
          bytesPerEvent: round(opensearchBytesPerEvent),
          replicas: configA.index.replicas,
        },
        gzipBytesPerEvent: round(gzipBytes / totals.events),
        eventsPerSecond: round(totals.events / run.seconds),
        redis: {
          queuedKeys: queued.keys,
          queuedBytes: queued.bytes,
          bytesPerQueuedFile: round(perQueuedFile),
          jobHashBytes: oneJobBytes,
          completedKeys: completed.keys,
          bytesPerCompletedJob: round(perCompletedJob),
          sealedFolders: completeMarkers,
          bytesPerSealedFolder: round(perSealedFolder),
          bytesPerDoneFileInOpenFolder: round(perOpenFile),
        },
        s3: { listRequests, listPerFile: round(listPerFile, 5), getRequests, getPerFile: round(getPerFile, 3), workerRequests, pollListRequests: pollLists, pollListsPerStream: round(pollListsPerStream, 3), pollStreamLists, pollDiscoveryLists, accounts },
      };
      out.notes.push(
        `Worker RSS ${fmtBytes(workerIdleRss)} idle, ${fmtBytes(workerPeakRss)} at peak with ${configA.ingest.workerConcurrency} files in flight: bounded by files in flight and bulk buffers, not by events. OpenSearch: ${fmtBytes(stored.eventBytes)} in event indices + ${fmtBytes(stored.eventIdBytes)} in the event-id index; ${fmtNum(gzipBytes / totals.events)} gzip bytes per event in S3.`,
        `Redis: ${fmtInt(queued.keys)} queue keys after queueing, one job hash ${fmtBytes(oneJobBytes)}; ${fmtInt(completeMarkers)} sealed day folders hold ${fmtBytes(completeBytes)} of completion markers. S3: ${fmtInt(listRequests)} LIST and ${fmtInt(getRequests)} GET requests for ${fmtInt(totals.files)} files; a poll cycle with nothing new sent ${fmtInt(pollLists)} LIST requests: ${fmtInt(pollStreamLists)} listing the ${fmtInt(poll.streams)} account/region streams and ${fmtInt(pollDiscoveryLists)} by delimiter discovering ${accounts} accounts and their regions.`,
      );
      const row = (name: string, value: number, unit: string, text: string) => out.rows.push({ scenario: 'costs', name, ours: { value, unit, text }, goal: 'report', met: null });
      row('worker CPU per event', workerCpuUs, 'µs/event', `${fmtNum(workerCpuUs)} µs/event`);
      row('worker peak RSS per process', workerPeakRss, 'B', `${fmtBytes(workerPeakRss)} (${configA.ingest.workerConcurrency} files in flight)`);
      row('OpenSearch CPU per event', opensearchCpuUs, 'µs/event', `${fmtNum(opensearchCpuUs)} µs/event`);
      row('OpenSearch bytes per event (unmerged, primaries)', opensearchBytesPerEvent, 'B/event', `${fmtNum(opensearchBytesPerEvent)} bytes/event`);
      row('Redis bytes per queued file', perQueuedFile, 'B/file', `${fmtNum(perQueuedFile, 0)} bytes/file`);
      row('Redis bytes per completed job (kept 1 h)', perCompletedJob, 'B/file', `${fmtNum(perCompletedJob, 0)} bytes/file`);
      row('Redis bytes per done file, open day folder', perOpenFile, 'B/file', `${fmtNum(perOpenFile, 0)} bytes/file`);
      row('Redis bytes per sealed day folder', perSealedFolder, 'B/folder', `${fmtNum(perSealedFolder, 0)} bytes/folder`);
      row('S3 LIST requests per file (backfill)', listPerFile, 'requests/file', `${fmtNum(listPerFile, 4)} per file`);
      row('S3 GET requests per file', getPerFile, 'requests/file', `${fmtNum(getPerFile, 2)} per file`);
      row('S3 LIST requests per stream per poll cycle', pollListsPerStream, 'requests', `${fmtNum(pollListsPerStream, 2)} per account/region (${fmtInt(pollStreamLists)} stream + ${fmtInt(pollDiscoveryLists)} discovery for ${poll.streams} streams, ${accounts} accounts)`);
    } finally {
      await queue.close();
      redis.disconnect();
      s3.destroy();
      await opensearch.close();
    }
  },
};
