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
/** One event in this many matches the bench rule: each is a finding, alerted to every destination. */
const MATCH_EVERY = 5;
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

function* alertObjects(files: number, eventsPerFile: number): Generator<{ key: string; body: Buffer }> {
  const r = createRandom(41);
  const dayStart = Date.parse(`${DAY}T00:00:00Z`);
  for (let f = 0; f < files; f += 1) {
    const fileTimeMs = dayStart + Math.floor(((f + 0.5) / files) * 86_400_000);
    const raw: string[] = [];
    for (let i = 0; i < eventsPerFile; i += 1) {
      const rec = makeRecord(r, ACCOUNT, REGION, fileTimeMs - 300_000 + i * 10);
      if (i % MATCH_EVERY === 0) rec.userAgent = PROBE_AGENT;
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

export const alertsScenario: Scenario = {
  id: 'alerts',
  title: 'alerting: ingest throughput with alerts on and off, delivery latency to 3 webhook destinations',
  async run(ctx, out) {
    const stack = await ctx.stack();
    const { alertFiles: files, eventsPerFile } = { alertFiles: ctx.options.sizes.alertFiles, eventsPerFile: ctx.options.sizes.eventsPerFile };
    const events = files * eventsPerFile;
    const expectedFindings = Math.ceil(eventsPerFile / MATCH_EVERY) * files;
    const bucket = `b${ctx.runId}-alerts`.toLowerCase();
    const s3 = createBenchS3(stack.configFor(ctx.namespace('alerts-s3')));
    await ensureBucket(s3, bucket);
    if (!ctx.options.keep) ctx.onCleanup(() => deleteBucket(s3, bucket));
    await uploadAll(s3, bucket, alertObjects(files, eventsPerFile), 16);
    const dir = path.join(ctx.dataDir, `alerts-${ctx.runId}`);
    await mkdir(path.join(dir, 'rules'), { recursive: true });
    await writeFile(path.join(dir, 'rules', 'bench.yml'), RULE);
    ctx.onCleanup(() => rm(dir, { recursive: true, force: true }));
    const receivers = await Promise.all(DESTINATIONS.map(() => startReceiver()));
    ctx.onCleanup(async () => {
      await Promise.all(receivers.map((r) => r.close()));
    });

    ctx.log(`alerts: ${fmtInt(events)} events, ${fmtInt(expectedFindings)} matching; ingest with alerting off`);
    const off = await ingestRun(ctx, stack, bucket, 'aloff', dir, undefined);
    if (!ctx.options.keep) await dropNamespace(stack, off.namespace);
    ctx.log('alerts: ingest with alerting on (3 destinations)');
    const delivered = () => receivers.every((r) => new Set(r.receipts.map((x) => x.findingId)).size >= expectedFindings);
    const on = await ingestRun(ctx, stack, bucket, 'alon', dir, { urls: receivers.map((r) => r.url), delivered });
    await on.sender?.stop();
    const created = await findingTimes(stack, on.namespace);
    if (created.size !== expectedFindings) throw new Error(`${created.size} findings recorded, expected ${expectedFindings}`);
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
    // delivery rate: from the first finding written to the last alert received, all destinations
    const firstCreated = Math.min(...created.values());
    const lastReceipt = Math.max(...receivers.flatMap((r) => r.receipts.map((x) => x.atMs)));
    const findingsPerMinute = expectedFindings / Math.max(1e-3, (lastReceipt - firstCreated) / 60_000);
    const p50 = percentile(latencies, 50);
    const p95 = percentile(latencies, 95);
    const rOff = events / off.ingest.seconds;
    const rOn = events / on.ingest.seconds;
    out.data = { events, 'log files': files, findings: expectedFindings, destinations: DESTINATIONS.length, deliveries: latencies.length };
    out.method.push(
      `A bucket of ${fmtInt(files)} generated log files (${fmtInt(eventsPerFile)} events each, one account and region), one event in ${MATCH_EVERY} matching a one-line Sigma rule applied for live detection; each match is a finding.`,
      'Ingested twice end to end as an operator runs it (one `trailscope worker`, `trailscope backfill`), each into an empty namespace: first with the rule and no alerts configuration, then with an alerts file routing every finding to 3 webhook destinations (each a local HTTP receiver in the bench process answering 200), `backfill --alert`, and `trailscope alerts send` running.',
      'Ingest throughput is events ÷ seconds from the start of the backfill until the ingest queue is drained and live detection has evaluated every file (so every alert is queued). Delivery latency is, per finding and destination, the time from the finding\'s `createdAt` (written by detection, after the alert was queued) to its first receipt.',
    );
    out.figures = {
      alertingOff: { seconds: round(off.ingest.seconds), eventsPerSecond: round(rOff) },
      alertingOn: { seconds: round(on.ingest.seconds), eventsPerSecond: round(rOn) },
      ratio: round(rOn / rOff),
      findings: expectedFindings,
      findingsPerMinute: round(findingsPerMinute),
      deliveryLatencyMs: { p50: round(p50), p95: round(p95), max: round(Math.max(...latencies)) },
    };
    out.notes.push(`Findings were delivered to all 3 destinations at ${fmtInt(findingsPerMinute)} per minute (first finding written to last receipt); delivery latency p50 ${fmtNum(p50 / 1000, 2)} s, p95 ${fmtNum(p95 / 1000, 2)} s over ${fmtInt(latencies.length)} deliveries.`);
    out.rows.push({
      scenario: 'alerts',
      name: 'ingest throughput with alerting on (3 destinations)',
      ours: { value: rOn, unit: 'events/s', text: `${fmtInt(rOn)} events/s with alerting` },
      baseline: { value: rOff, unit: 'events/s', text: `${fmtInt(rOff)} events/s`, what: 'same data and rule, no alerts configuration' },
      ratio: rOn / rOff,
      ratioMeaning: 'alerting on ÷ off events/s',
      goal: '≥ 0.9',
      met: rOn / rOff >= 0.9,
    });
    out.rows.push({
      scenario: 'alerts',
      name: `alert delivery latency p95, ${fmtInt(expectedFindings)} findings to 3 destinations`,
      ours: { value: p95 / 1000, unit: 's', text: `p95 ${fmtNum(p95 / 1000, 2)} s (p50 ${fmtNum(p50 / 1000, 2)} s), ${fmtInt(findingsPerMinute)} findings/min delivered` },
      goal: 'report',
      met: null,
    });
  },
};
