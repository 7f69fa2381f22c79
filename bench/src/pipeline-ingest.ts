import { createIngestQueue, pendingCounts, type IngestQueue } from '@trailscope/queue';
import type { BenchContext } from './bench-context';
import type { BenchStack } from './bench-stack';
import { CLI_BIN, lastJsonLine, runNode, startNode, type RunningNode } from './child-process';
import { opensearchCpuMillis } from './opensearch-cpu';
import { readProcCpuSeconds } from './proc-memory';
import { createOpenSearchClient, createRedis } from '@trailscope/runtime';

export interface PipelineIngestResult {
  namespace: string;
  workers: number;
  /** From the start of `backfill` until the queue is drained: every file acknowledged by a worker. */
  seconds: number;
  /** `backfill --json` summary (listing and queueing; the workers are separate processes). */
  summary: Record<string, unknown>;
  filesCompleted: number;
  workerPeakRssBytes: number[];
  /** RSS of each worker once connected and idle, before the backfill started. */
  workerIdleRssBytes: number[];
  workerCpuSeconds: number[];
  backfillPeakRssBytes: number;
  /** CPU of the backfill process (listing and queueing), as last sampled before it exited. */
  backfillCpuSeconds: number;
  opensearchCpuSeconds: number;
  /** CPU seconds of the S3 server and Redis during the timed part, when the bench started them. */
  serviceCpuSeconds: Partial<Record<'s3' | 'redis', number>>;
}

function serviceCpu(stack: BenchStack): Partial<Record<'s3' | 'redis', number>> {
  const out: Partial<Record<'s3' | 'redis', number>> = {};
  for (const [name, pid] of Object.entries(stack.servicePids) as Array<['s3' | 'redis', number]>) {
    const cpu = readProcCpuSeconds(pid);
    if (cpu !== undefined) out[name] = cpu;
  }
  return out;
}

const WORKER_READY_TIMEOUT_MS = 60_000;
const DRAIN_TIMEOUT_MS = 60 * 60_000;
const POLL_MS = 50;

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function assertAlive(workers: RunningNode[]): void {
  const dead = workers.find((w) => w.child.exitCode !== null || w.child.signalCode !== null);
  if (dead) throw new Error(`a worker exited (${String(dead.child.exitCode ?? dead.child.signalCode)}): ${dead.stderr().trim().split('\n').slice(-3).join(' | ')}`);
}

async function waitForWorkers(queue: IngestQueue, count: number, workers: RunningNode[]): Promise<void> {
  const deadline = Date.now() + WORKER_READY_TIMEOUT_MS;
  while ((await queue.getWorkersCount()) < count) {
    assertAlive(workers);
    if (Date.now() > deadline) throw new Error(`${count} worker(s) did not connect to the queue within ${WORKER_READY_TIMEOUT_MS / 1000} s`);
    await pause(POLL_MS);
  }
}

/** Drained: nothing waiting, delayed or active, seen twice in a row (a job moving between lists is not a drain). */
async function waitForDrain(queue: IngestQueue, workers: RunningNode[]): Promise<void> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  let emptySeen = 0;
  while (emptySeen < 2) {
    assertAlive(workers);
    if (Date.now() > deadline) throw new Error(`the queue did not drain within ${DRAIN_TIMEOUT_MS / 60_000} minutes`);
    emptySeen = (await pendingCounts(queue)).total === 0 ? emptySeen + 1 : 0;
    if (emptySeen < 2) await pause(POLL_MS);
  }
}

/**
 * Our pipeline as an operator deploys it: `trailscope setup`, N long-running `trailscope worker` processes, then
 * `trailscope backfill --bucket B --json` lists the bucket and queues every file; the clock runs from the start of
 * the backfill until the queue is drained (S3 listing → BullMQ → workers → S3 GET → parse → OpenSearch bulk).
 */
export async function runPipelineIngest(
  ctx: BenchContext,
  stack: BenchStack,
  options: {
    namespace: string;
    bucket: string;
    workers: number;
    label: string;
    extraEnv?: Record<string, string>;
    /** NODE_OPTIONS for the worker processes only (e.g. a heap cap). */
    workerNodeOptions?: string;
    /** Extra `backfill` flags (e.g. `--to` a delivery day, to ingest part of the bucket). */
    backfillArgs?: string[];
    /** Polled once the queue is drained: the clock stops when it holds too (e.g. detection has seen every file). */
    untilAlso?: () => Promise<boolean>;
    /** Runs after the timed part, while the workers still run (e.g. waiting for their live detection to finish). */
    afterDrain?: () => Promise<void>;
  },
): Promise<PipelineIngestResult> {
  const env = stack.envFor(options.namespace, options.extraEnv);
  const workerEnv = options.workerNodeOptions ? { ...env, NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} ${options.workerNodeOptions}`.trim() } : env;
  const config = stack.configFor(options.namespace, options.extraEnv);
  await runNode({ args: [CLI_BIN, 'setup'], env, label: `${options.label}-setup` });
  const workers: RunningNode[] = [];
  const client = createOpenSearchClient(config);
  const redis = createRedis(config);
  const queue = createIngestQueue(config, redis);
  try {
    for (let i = 0; i < options.workers; i += 1) {
      workers.push(startNode({ args: [CLI_BIN, 'worker'], env: workerEnv, label: `${options.label}-worker${i + 1}`, profileDir: ctx.profileDir }));
    }
    await waitForWorkers(queue, options.workers, workers);
    const cpu0 = await opensearchCpuMillis(client);
    const cpuWorkers0 = workers.map((w) => {
      w.sampler.sample();
      return w.sampler.cpuSeconds;
    });
    const workerIdleRssBytes = workers.map((w) => w.sampler.lastRssBytes);
    const services0 = serviceCpu(stack);
    const t0 = performance.now();
    const backfill = await runNode({
      args: [CLI_BIN, 'backfill', '--bucket', options.bucket, '--json', ...(options.backfillArgs ?? [])],
      env,
      label: `${options.label}-backfill`,
      profileDir: ctx.profileDir,
    });
    await waitForDrain(queue, workers);
    if (options.untilAlso) {
      const deadline = Date.now() + DRAIN_TIMEOUT_MS;
      while (!(await options.untilAlso())) {
        assertAlive(workers);
        if (Date.now() > deadline) throw new Error(`${options.label}: the extra condition did not hold within ${DRAIN_TIMEOUT_MS / 60_000} minutes of the drain`);
        await pause(POLL_MS);
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu1 = await opensearchCpuMillis(client);
    const services1 = serviceCpu(stack);
    const serviceCpuSeconds: Partial<Record<'s3' | 'redis', number>> = {};
    for (const k of Object.keys(services1) as Array<'s3' | 'redis'>) serviceCpuSeconds[k] = (services1[k] ?? 0) - (services0[k] ?? 0);
    const summary = lastJsonLine(backfill.stdout, 'trailscope backfill');
    const counts = await queue.getJobCounts('completed', 'failed');
    if ((counts.failed ?? 0) > 0) throw new Error(`${counts.failed} ingest jobs failed (see trailscope failed)`);
    for (const w of workers) w.sampler.sample();
    if (options.afterDrain) {
      await options.afterDrain();
      assertAlive(workers);
    }
    return {
      namespace: options.namespace,
      workers: options.workers,
      seconds,
      summary,
      filesCompleted: counts.completed ?? 0,
      workerPeakRssBytes: workers.map((w) => w.sampler.peakBytes),
      workerIdleRssBytes,
      workerCpuSeconds: workers.map((w, i) => w.sampler.cpuSeconds - (cpuWorkers0[i] ?? 0)),
      backfillPeakRssBytes: backfill.peakRssBytes,
      backfillCpuSeconds: backfill.cpuSeconds,
      opensearchCpuSeconds: (cpu1 - cpu0) / 1000,
      serviceCpuSeconds,
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await queue.close();
    redis.disconnect();
    await client.close();
  }
}
