import { mkdir, rm, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import * as path from 'node:path';
import { createRandom, gzipLogFile, logFileKey, makeRecord } from '@trailscope/fixtures';
import { createAlertQueue } from '@trailscope/queue';
import { createOpenSearchClient, createRedis, type Config, type Redis } from '@trailscope/runtime';
import type { BenchContext, Scenario } from '../bench-context';
import type { BenchStack } from '../bench-stack';
import { createBenchS3, deleteBucket, ensureBucket, uploadAll } from '../bench-buckets';
import { CLI_BIN, runNode, startNode, type RunningNode } from '../child-process';
import { fmtInt, fmtNum, round } from '../format';
import { dropNamespace, dropNamespaceLater } from '../namespace-lifecycle';
import { percentile } from '../percentile';
import { runPipelineIngest, type PipelineIngestResult } from '../pipeline-ingest';

const ACCOUNT = '230000000001';
const REGION = 'us-east-1';
const DAY = '2026-03-10';
const PROBE_AGENT = 'bench-alert-probe/1.0';
/** Stress data: one event in this many matches the bench rule; each is a finding, alerted to every destination. */
const STRESS_EVERY = 5;
/** The alerting load the goal is stated at: findings per minute of ingest, each routed to 3 destinations. */
const GOAL_FINDINGS_PER_MINUTE = 10_000;
const DESTINATIONS = ['hook1', 'hook2', 'hook3'];
const SERVER_KEY = 'bench-alerts-server-key-0123456789abcdef';
const SECRET = 'bench-alerts-secret-0123456789';
const DELIVERY_TIMEOUT_MS = 15 * 60_000;
const RULE_ID = '5b0e0000-0000-4000-8000-00000000a1e7';

const RULE = `title: Bench alert probe
id: ${RULE_ID}
status: test
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {userAgent: ${PROBE_AGENT}}
  condition: sel
level: high
`;

function* alertObjects(files: number, eventsPerFile: number, every: number): Generator<{ key: string; body: Buffer }> {
  const r = createRandom(41);
  const dayStart = Date.parse(`${DAY}T00:00:00Z`);
  for (let f = 0; f < files; f += 1) {
    const fileTimeMs = dayStart + Math.floor(((f + 0.5) / files) * 86_400_000);
    const raw: string[] = [];
    for (let i = 0; i < eventsPerFile; i += 1) {
      const rec = makeRecord(r, ACCOUNT, REGION, fileTimeMs - 300_000 + i * 10);
      if (i % every === 0) rec.userAgent = PROBE_AGENT;
      raw.push(JSON.stringify(rec));
    }
    yield { key: logFileKey({ account: ACCOUNT, region: REGION, fileTimeMs, suffix: r.hex(16) }), body: gzipLogFile(raw) };
  }
}

interface Receipt {
  findingId: string;
  atMs: number;
}

/** A local webhook destination: answers 200 at once and records when each alert arrived. */
async function startReceiver(): Promise<{ url: string; receipts: Receipt[]; close(): Promise<void> }> {
  const receipts: Receipt[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const atMs = Date.now();
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { findingId?: string };
        if (typeof body.findingId === 'string') receipts.push({ findingId: body.findingId, atMs });
      } catch {
        // counted as missing below
      }
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/alert`,
    receipts,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** createdAt of every finding of a namespace (when detection wrote it), by id. */
async function findingTimes(stack: BenchStack, namespace: string): Promise<Map<string, number>> {
  const config = stack.configFor(namespace);
  const client = createOpenSearchClient(config);
  const out = new Map<string, number>();
  try {
    await client.indices.refresh({ index: config.names.findingsIndex, ignore_unavailable: true });
    let after: unknown[] | undefined;
    for (;;) {
      const res = await client.search({
        index: config.names.findingsIndex,
        body: { size: 5000, _source: ['id', 'createdAt'], sort: [{ id: 'asc' }], ...(after ? { search_after: after } : {}) } as never,
        ignore_unavailable: true,
      });
      const hits = (res.body as unknown as { hits: { hits: Array<{ _source: { id: string; createdAt: string }; sort: unknown[] }> } }).hits.hits;
      for (const h of hits) out.set(h._source.id, Date.parse(h._source.createdAt));
      if (hits.length < 5000) return out;
      after = hits[hits.length - 1]?.sort;
    }
  } finally {
    await client.close();
  }
}

/** Live detection has evaluated every indexed file (and so queued every alert). */
async function detectionDone(redis: Redis, config: Config): Promise<boolean> {
  return (await redis.zcard(`${config.names.redisPrefix}detect:pending`)) === 0;
}

async function waitForDelivery(done: () => boolean): Promise<void> {
  const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`alerts not all delivered within ${DELIVERY_TIMEOUT_MS / 60_000} min`);
    await pause(200);
  }
}

/** Waits until every destination's queue has a sender connected (BullMQ names its workers' connections). */
async function sendersListening(config: Config): Promise<void> {
  const redis = createRedis(config);
  const queues = DESTINATIONS.map((d) => createAlertQueue(config, d, redis));
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const counts = await Promise.all(queues.map(async (q) => (await q.getWorkers()).length));
      if (counts.every((n) => n > 0)) return;
      if (Date.now() > deadline) throw new Error('alerts send did not start listening within 60 s');
      await pause(100);
    }
  } finally {
    await Promise.all(queues.map((q) => q.close()));
    redis.disconnect();
  }
}

async function ingestRun(
  ctx: BenchContext,
  stack: BenchStack,
  bucket: string,
  suffix: string,
  dir: string,
  alerting: { urls: string[]; delivered: () => boolean } | undefined,
): Promise<{ ingest: PipelineIngestResult; namespace: string; sender?: RunningNode }> {
  const namespace = ctx.namespace(suffix);
  dropNamespaceLater(ctx, stack, namespace);
  const extra = { TRAILSCOPE_SERVER_KEY: SERVER_KEY };
  const env = stack.envFor(namespace, extra);
  await runNode({ args: [CLI_BIN, 'rules', 'apply', path.join(dir, 'rules')], env, label: `alerts-${suffix}-rules` });
  let sender: RunningNode | undefined;
  if (alerting) {
    const file = path.join(dir, `${suffix}.yml`);
    const destinations = DESTINATIONS.map((d, i) => `  - {name: ${d}, type: webhook, url: "${alerting.urls[i] ?? ''}", secret: "${SECRET}"}`).join('\n');
    await writeFile(file, `destinations:\n${destinations}\nroutes:\n${DESTINATIONS.map((d) => `  - {destination: ${d}}`).join('\n')}\n`);
    await runNode({ args: [CLI_BIN, 'alerts', 'apply', file], env, label: `alerts-${suffix}-apply` });
    sender = startNode({ args: [CLI_BIN, 'alerts', 'send'], env, label: `alerts-${suffix}-sender`, profileDir: ctx.profileDir });
    // the sender is a long-running service, as the worker is: its start (loading, connecting) is not ingest's cost,
    // so the clock starts once it listens on every destination's queue
    await sendersListening(stack.configFor(namespace, extra));
    ctx.onCleanup(async () => {
      const config = stack.configFor(namespace, extra);
      const redis = createRedis(config);
      try {
        for (const d of DESTINATIONS) {
          const q = createAlertQueue(config, d, redis);
          await q.obliterate({ force: true }).catch(() => undefined);
          await q.close();
        }
      } finally {
        redis.disconnect();
      }
    });

  }
  const config = stack.configFor(namespace, extra);
  const redis = createRedis(config);
  ctx.onCleanup(async () => {
    redis.disconnect();
  });
  const ingest = await runPipelineIngest(ctx, stack, {
    namespace,
    bucket,
    workers: 1,
    label: `alerts-${suffix}`,
    extraEnv: extra,
    backfillArgs: alerting ? ['--alert'] : [],
    // the clock stops once detection has seen every file: alerting's cost (exceptions, routing, queueing) is in it
    untilAlso: () => detectionDone(redis, config),
    afterDrain: alerting ? () => waitForDelivery(alerting.delivered) : undefined,
  });
  return { ingest, namespace, sender };
}

interface AlertsMeasure {
  every: number;
  findings: number;
  /** Alerting-off and -on ingest of each pair, in the order they ran. */
  pairs: Array<{ off: PipelineIngestResult; on: PipelineIngestResult; onFirst: boolean }>;
  /** The pair whose ratio is the median (the one reported). */
  median: { off: PipelineIngestResult; on: PipelineIngestResult };
  latencies: number[];
  findingsPerMinute: number;
}

/** One alerting-on ingest into a fresh namespace with its own receivers: the seconds, and every delivery's latency. */
async function alertingOn(ctx: BenchContext, stack: BenchStack, bucket: string, suffix: string, dir: string, findings: number): Promise<{ ingest: PipelineIngestResult; latencies: number[] }> {
  const receivers = await Promise.all(DESTINATIONS.map(() => startReceiver()));
  try {
    const delivered = () => receivers.every((r) => new Set(r.receipts.map((x) => x.findingId)).size >= findings);
    const on = await ingestRun(ctx, stack, bucket, suffix, dir, { urls: receivers.map((r) => r.url), delivered });
    await on.sender?.stop();
    const created = await findingTimes(stack, on.namespace);
    if (created.size !== findings) throw new Error(`${created.size} findings recorded, expected ${findings}`);
    if (!ctx.options.keep) await dropNamespace(stack, on.namespace);
    // latency: finding written by detection → the destination's receipt (first receipt per finding per destination)
    const latencies: number[] = [];
    for (const r of receivers) {
      const first = new Map<string, number>();
      for (const x of r.receipts) if (!first.has(x.findingId)) first.set(x.findingId, x.atMs);
      for (const [id, at] of first) {
        const c = created.get(id);
        if (c !== undefined) latencies.push(Math.max(0, at - c));
      }
    }
    return { ingest: on.ingest, latencies };
  } finally {
    await Promise.all(receivers.map((r) => r.close()));
  }
}

/**
 * Ingests one data set (one event in `every` a finding) with alerting off and on, `pairs` times, the order of each
 * pair alternating (off first, then on first, ...); the pair with the median ratio is reported.
 */
async function measure(ctx: BenchContext, stack: BenchStack, dir: string, label: string, every: number, pairs: number): Promise<AlertsMeasure> {
  const { alertFiles: files, eventsPerFile } = ctx.options.sizes;
  const findings = Math.ceil(eventsPerFile / every) * files;
  const bucket = `b${ctx.runId}-${label}`.toLowerCase();
  const s3 = createBenchS3(stack.configFor(ctx.namespace(`${label}-s3`)));
  await ensureBucket(s3, bucket);
  if (!ctx.options.keep) ctx.onCleanup(() => deleteBucket(s3, bucket));
  await uploadAll(s3, bucket, alertObjects(files, eventsPerFile, every), 16);
  const done: Array<AlertsMeasure['pairs'][number] & { latencies: number[] }> = [];
  for (let i = 0; i < pairs; i++) {
    const onFirst = i % 2 === 1;
    ctx.log(`alerts (${label}, pair ${i + 1} of ${pairs}): ${fmtInt(files * eventsPerFile)} events, one in ${every} a finding (${fmtInt(findings)}); alerting ${onFirst ? 'on, then off' : 'off, then on'}`);
    const offRun = async () => {
      const off = await ingestRun(ctx, stack, bucket, `${label}off${i}`, dir, undefined);
      if (!ctx.options.keep) await dropNamespace(stack, off.namespace);
      return off.ingest;
    };
    const onRun = () => alertingOn(ctx, stack, bucket, `${label}on${i}`, dir, findings);
    if (onFirst) {
      const on = await onRun();
      done.push({ on: on.ingest, off: await offRun(), onFirst, latencies: on.latencies });
    } else {
      const off = await offRun();
      const on = await onRun();
      done.push({ off, on: on.ingest, onFirst, latencies: on.latencies });
    }
  }
  const byRatio = [...done].sort((a, b) => a.off.seconds / a.on.seconds - b.off.seconds / b.on.seconds);
  const median = byRatio[Math.floor((byRatio.length - 1) / 2)] ?? done[0];
  if (!median) throw new Error('no alerting run');
  // findings arrive as fast as ingest makes them: their rate is findings ÷ the alerting-on ingest time
  return { every, findings, pairs: done.map(({ off, on, onFirst }) => ({ off, on, onFirst })), median, latencies: median.latencies, findingsPerMinute: findings / (median.on.seconds / 60) };
}

export const alertsScenario: Scenario = {
  id: 'alerts',
  title: 'alerting: ingest throughput with alerts on and off, delivery latency to 3 webhook destinations',
  async run(ctx, out) {
    const stack = await ctx.stack();
    const { alertFiles: files, eventsPerFile } = ctx.options.sizes;
    const events = files * eventsPerFile;
    const dir = path.join(ctx.dataDir, `alerts-${ctx.runId}`);
    await mkdir(path.join(dir, 'rules'), { recursive: true });
    await writeFile(path.join(dir, 'rules', 'bench.yml'), RULE);
    ctx.onCleanup(() => rm(dir, { recursive: true, force: true }));

    // first the stress data (findings as fast as ingest makes one in 5 events); its alerting-off rate then sets the
    // density of the goal's data, so that its findings come at the goal's rate on this machine
    const stress = await measure(ctx, stack, dir, 'alstress', STRESS_EVERY, 1);
    const offRate = events / stress.median.off.seconds;
    const goalEvery = Math.max(1, Math.round((offRate * 60) / GOAL_FINDINGS_PER_MINUTE));
    // on a shared machine one pair of runs of a few seconds each is noisy: the goal's ratio is the median of three
    const goal = await measure(ctx, stack, dir, 'algoal', goalEvery, 3);

    const figures = (m: AlertsMeasure) => {
      const rOff = events / m.median.off.seconds;
      const rOn = events / m.median.on.seconds;
      return {
        matchEvery: m.every,
        findings: m.findings,
        alertingOff: { seconds: round(m.median.off.seconds), eventsPerSecond: round(rOff) },
        alertingOn: { seconds: round(m.median.on.seconds), eventsPerSecond: round(rOn) },
        pairs: m.pairs.map((p) => ({ offSeconds: round(p.off.seconds), onSeconds: round(p.on.seconds), ratio: round(p.off.seconds / p.on.seconds), order: p.onFirst ? 'on, off' : 'off, on' })),
        ratio: round(rOn / rOff),
        findingsPerMinute: round(m.findingsPerMinute),
        deliveryLatencyMs: { p50: round(percentile(m.latencies, 50)), p95: round(percentile(m.latencies, 95)), max: round(Math.max(...m.latencies)) },
      };
    };
    out.data = { events, 'log files': files, destinations: DESTINATIONS.length, 'findings (goal load)': goal.findings, 'findings (stress)': stress.findings };
    out.method.push(
      `Buckets of ${fmtInt(files)} generated log files (${fmtInt(eventsPerFile)} events each, one account and region), some events matching a one-line Sigma rule applied for live detection; each match is a finding.`,
      'Each bucket is ingested twice end to end as an operator runs it (one `trailscope worker`, `trailscope backfill`), each into an empty namespace: first with the rule and no alerts configuration, then with an alerts file routing every finding to 3 webhook destinations (each a local HTTP receiver in the bench process answering 200), `backfill --alert`, and `trailscope alerts send` running.',
      `Two buckets: the stress data, one event in ${STRESS_EVERY} a finding (findings as fast as ingest makes them), one pair of runs; then the goal's load, three pairs of runs, the order within a pair alternating (off then on, on then off, off then on), the pair with the median ratio reported, ${fmtInt(GOAL_FINDINGS_PER_MINUTE)} findings per minute: one event in N a finding, N = the stress data's alerting-off events/s × 60 ÷ ${fmtInt(GOAL_FINDINGS_PER_MINUTE)} (N = ${goalEvery} in this run).`,
      '`alerts send` is started first, as the long-running service it is, and the clock starts once it listens on every destination\'s queue. Ingest throughput is events ÷ seconds from the start of the backfill until the ingest queue is drained and live detection has evaluated every file (so every alert is queued). Findings per minute: findings ÷ that time of the alerting-on run. Delivery latency is, per finding and destination, the time from the finding\'s `createdAt` (written by detection, after the alert was queued) to its first receipt.',
    );
    out.figures = { goalLoad: figures(goal), stress: figures(stress) };
    for (const [m, what] of [
      [goal, `${fmtInt(goal.findingsPerMinute)} findings/min`],
      [stress, `stress, one event in ${STRESS_EVERY} a finding, ${fmtInt(stress.findingsPerMinute)} findings/min`],
    ] as const) {
      const f = figures(m);
      const p50 = f.deliveryLatencyMs.p50;
      const p95 = f.deliveryLatencyMs.p95;
      const ratios = f.pairs.map((p) => `${fmtNum(p.ratio, 2)} (${p.order})`).join(', ');
      out.notes.push(`${what}: findings delivered to all 3 destinations with latency p50 ${fmtNum(p50 / 1000, 2)} s, p95 ${fmtNum(p95 / 1000, 2)} s over ${fmtInt(m.latencies.length)} deliveries; ingest ratio ${m.pairs.length > 1 ? `of each pair ${ratios}, the median reported` : fmtNum(f.ratio, 2)}.`);
      const isGoal = m === goal;
      out.rows.push({
        scenario: 'alerts',
        name: `ingest throughput with alerting on, ${what} to 3 destinations`,
        ours: { value: f.alertingOn.eventsPerSecond, unit: 'events/s', text: `${fmtInt(f.alertingOn.eventsPerSecond)} events/s with alerting` },
        baseline: { value: f.alertingOff.eventsPerSecond, unit: 'events/s', text: `${fmtInt(f.alertingOff.eventsPerSecond)} events/s`, what: 'same data and rule, no alerts configuration' },
        ratio: f.ratio,
        ratioMeaning: 'alerting on ÷ off events/s',
        goal: isGoal ? '≥ 0.9' : 'report',
        met: isGoal ? m.median.off.seconds / m.median.on.seconds >= 0.9 : null,
      });
      out.rows.push({
        scenario: 'alerts',
        name: `alert delivery latency p95, ${what}, ${fmtInt(m.findings)} findings to 3 destinations`,
        ours: { value: p95 / 1000, unit: 's', text: `p95 ${fmtNum(p95 / 1000, 2)} s (p50 ${fmtNum(p50 / 1000, 2)} s)` },
        goal: 'report',
        met: null,
      });
    }
  },
};
