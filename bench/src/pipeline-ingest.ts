import { createIngestQueue } from '@trailscope/queue';
import type { BenchContext } from './bench-context';
import type { BenchStack } from './bench-stack';
import { CLI_BIN, lastJsonLine, runNode, startNode, type RunningNode } from './child-process';
import { opensearchCpuMillis } from './opensearch-cpu';
import { createOpenSearchClient, createRedis } from '@trailscope/runtime';

export interface PipelineIngestResult {
  namespace: string;
  workers: number;
  /** From the start of `backfill` to its exit, all files acknowledged. */
  seconds: number;
  summary: Record<string, unknown>;
  eventsIndexed: number;
  workerPeakRssBytes: number[];
  /** RSS of each worker once connected and idle, before the backfill started. */
  workerIdleRssBytes: number[];
  workerCpuSeconds: number[];
  backfillPeakRssBytes: number;
  opensearchCpuSeconds: number;
}

const WORKER_READY_TIMEOUT_MS = 60_000;

async function waitForWorkers(stack: BenchStack, namespace: string, count: number, workers: RunningNode[]): Promise<void> {
  const config = stack.configFor(namespace);
  const redis = createRedis(config);
  const queue = createIngestQueue(config, redis);
  try {
    const deadline = Date.now() + WORKER_READY_TIMEOUT_MS;
    for (;;) {
      if ((await queue.getWorkersCount()) >= count) return;
      const dead = workers.find((w) => w.child.exitCode !== null);
      if (dead) throw new Error(`a worker exited during startup: ${dead.stderr().trim().split('\n').slice(-3).join(' | ')}`);
      if (Date.now() > deadline) throw new Error(`${count} worker(s) did not connect to the queue within ${WORKER_READY_TIMEOUT_MS / 1000} s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await queue.close();
    redis.disconnect();
  }
}

/**
 * Our pipeline as an operator runs it: `trailscope setup`, N `trailscope worker` processes, then the timed
 * `trailscope backfill --bucket B --wait --json` (S3 listing → BullMQ → workers → OpenSearch).
 */
export async function runPipelineIngest(
  ctx: BenchContext,
  stack: BenchStack,
  options: { namespace: string; bucket: string; workers: number; label: string; extraEnv?: Record<string, string> },
): Promise<PipelineIngestResult> {
  const env = stack.envFor(options.namespace, options.extraEnv);
  await runNode({ args: [CLI_BIN, 'setup'], env, label: `${options.label}-setup` });
  const workers: RunningNode[] = [];
  const client = createOpenSearchClient(stack.configFor(options.namespace));
  try {
    for (let i = 0; i < options.workers; i += 1) {
      workers.push(startNode({ args: [CLI_BIN, 'worker'], env, label: `${options.label}-worker${i + 1}`, profileDir: ctx.profileDir }));
    }
    await waitForWorkers(stack, options.namespace, options.workers, workers);
    const cpu0 = await opensearchCpuMillis(client);
    const cpuWorkers0 = workers.map((w) => {
      w.sampler.sample();
      return w.sampler.cpuSeconds;
    });
    const workerIdleRssBytes = workers.map((w) => w.sampler.lastRssBytes);
    const backfill = await runNode({
      args: [CLI_BIN, 'backfill', '--bucket', options.bucket, '--wait', '--json'],
      env,
      label: `${options.label}-backfill`,
      profileDir: ctx.profileDir,
    });
    const cpu1 = await opensearchCpuMillis(client);
    const summary = lastJsonLine(backfill.stdout, 'trailscope backfill');
    for (const w of workers) w.sampler.sample();
    const workerCpuSeconds = workers.map((w, i) => w.sampler.cpuSeconds - (cpuWorkers0[i] ?? 0));
    return {
      namespace: options.namespace,
      workers: options.workers,
      seconds: backfill.wallSeconds,
      summary,
      eventsIndexed: Number(summary.eventsIndexed ?? Number.NaN),
      workerPeakRssBytes: workers.map((w) => w.sampler.peakBytes),
      workerIdleRssBytes,
      workerCpuSeconds,
      backfillPeakRssBytes: backfill.peakRssBytes,
      opensearchCpuSeconds: (cpu1 - cpu0) / 1000,
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await client.close();
  }
}
