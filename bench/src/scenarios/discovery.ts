import { createRandom, gzipLogFile, logFileKey, makeRecord } from '@trailscope/fixtures';
import { STREAM_PAGE_SIZE } from '@trailscope/s3';
import type { Scenario } from '../bench-context';
import { createBenchS3, deleteBucket, ensureBucket, readManifest, sameManifest, uploadAll, writeManifest } from '../bench-buckets';
import { childScript, lastJsonLine, runNode } from '../child-process';
import { fmtInt, fmtMiB, fmtNum, round } from '../format';
import { readProcCpuSeconds } from '../proc-memory';

const PLAIN_ACCOUNTS = ['210000000001', '210000000002', '210000000003', '210000000004', '210000000005'];
const ORG_ID = 'o-benchdisc01';
const ORG_ACCOUNTS = ['220000000001', '220000000002', '220000000003', '220000000004', '220000000005'];
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-2'];
const DAYS = Array.from({ length: 25 }, (_, i) => `2026-02-${String(i + 1).padStart(2, '0')}`);
const PARTITIONS = (PLAIN_ACCOUNTS.length + ORG_ACCOUNTS.length) * REGIONS.length * DAYS.length;
/** Growth of peak RSS allowed when the listed files double, for memory to count as flat. */
const FLAT_GROWTH = 0.1;

/** Every key of the discovery bucket; all objects share one tiny body, the listing never reads it. */
function* discoveryObjects(filesPerPartition: number, body: Buffer): Generator<{ key: string; body: Buffer }> {
  const r = createRandom(7);
  const owners = [...PLAIN_ACCOUNTS.map((account) => ({ account })), ...ORG_ACCOUNTS.map((account) => ({ account, orgId: ORG_ID }))];
  for (const o of owners) {
    for (const region of REGIONS) {
      for (const day of DAYS) {
        const dayStart = Date.parse(`${day}T00:00:00Z`);
        for (let f = 0; f < filesPerPartition; f += 1) {
          const fileTimeMs = dayStart + Math.floor(((f + 0.5) / filesPerPartition) * 86_400_000);
          yield { key: logFileKey({ ...o, region, fileTimeMs, suffix: r.hex(16) }), body };
        }
      }
    }
  }
}

interface Listing {
  mode: string;
  files: number;
  partitions: number;
  listRequests: number;
  seconds: number;
  concurrency: number;
  peakHeapUsedBytes: number;
  peakRssBytes: number;
  /** CPU of the listing process (sampled while it ran). */
  clientCpuSeconds: number;
  /** CPU of the S3 server during the listing, when the bench started it. */
  s3CpuSeconds?: number;
}

export const discoveryScenario: Scenario = {
  id: 'discovery',
  title: 'finding every log file of a bucket: parallel per-stream listings vs one sequential listing',
  async run(ctx, out) {
    const files = ctx.options.sizes.discoveryFiles;
    if (files % PARTITIONS !== 0) throw new Error(`discoveryFiles ${files} must be a multiple of ${PARTITIONS}`);
    const filesPerPartition = files / PARTITIONS;
    const stack = await ctx.stack();
    const ns = ctx.namespace('disc');
    const config = stack.configFor(ns);
    const s3 = createBenchS3(config);
    const bucket = `tsbench-discovery-${files}`;
    const manifest = { layout: 'discovery-v1', files };
    if (sameManifest(await readManifest(s3, bucket), manifest)) {
      ctx.log(`discovery: reusing bucket ${bucket} (${fmtInt(files)} objects, uploaded by an earlier run)`);
    } else {
      ctx.log(`discovery: uploading ${fmtInt(files)} objects to ${bucket} (once per stack; kept for later runs)`);
      await ensureBucket(s3, bucket);
      const body = gzipLogFile([JSON.stringify(makeRecord(createRandom(1), PLAIN_ACCOUNTS[0] as string, 'us-east-1', Date.parse('2026-02-01T00:00:00Z')))]);
      const t0 = performance.now();
      await uploadAll(s3, bucket, discoveryObjects(filesPerPartition, body), 32, (n) => ctx.log(`discovery: uploaded ${fmtInt(n)}`));
      await writeManifest(s3, bucket, manifest);
      ctx.log(`discovery: upload took ${fmtNum((performance.now() - t0) / 1000)} s`);
    }
    if (!ctx.options.keep && stack.source.startsWith('services named')) {
      // on a stack the bench does not own, leave nothing behind
      ctx.onCleanup(() => deleteBucket(s3, bucket));
    }
    const halfTo = DAYS[Math.floor(DAYS.length / 2) - 1] as string;
    out.data = {
      'log files': files,
      'accounts (5 plain, 5 under an organization)': PLAIN_ACCOUNTS.length + ORG_ACCOUNTS.length,
      regions: REGIONS.length,
      'delivery days': DAYS.length,
      'day partitions': PARTITIONS,
      'files per partition': filesPerPartition,
    };
    out.method.push(
      `A bucket of ${fmtInt(files)} log-file keys in the CloudTrail layout (plain and organization-trail accounts) on the stack's S3 server; the bodies are tiny, listing never reads them.`,
      `Ours: exactly the listing of \`backfill\` and \`poll\` (packages/poller \`planStreams\` + \`listStreams\`, as \`runIngestPass\` calls them, without the Redis work per day): Delimiter listings find accounts, kinds and regions, then each account/kind/region stream is listed as one ListObjectsV2 sequence (${STREAM_PAGE_SIZE} keys per page, from the first day in range, stopping past the last) and split into delivery-day partitions as its sorted keys arrive; ${config.ingest.listConcurrency} streams in parallel (TRAILSCOPE_LIST_CONCURRENCY). The request count includes discovery's Delimiter listings.`,
      'Baseline: one sequential ListObjectsV2 over the whole bucket, 1,000 keys per page, each key classified with `parseLogKey`.',
      'Diagnostic: ours again with one stream listing at a time (`--concurrency 1`), to separate the cost of the requests from the cost of serving them in parallel; the S3 server and lister CPU of each strategy are read from /proc during its run.',
      `Each strategy runs in its own Node.js process (peak RSS = the kernel's VmHWM); two rounds, the faster of each counts. Memory flatness: ours also lists only the first ${DAYS.indexOf(halfTo) + 1} of ${DAYS.length} days (about half the files), and its peak RSS must not grow more than ${FLAT_GROWTH * 100}% when the files double. Heap used (sampled every 20 ms) is shown beside RSS: RSS also reflects how lazily V8 returns memory.`,
    );
    const env = stack.envFor(ns);
    const list = async (mode: 'planner' | 'sequential', to?: string, concurrency?: number): Promise<Listing> => {
      const args = [childScript('discover'), mode, '--bucket', bucket];
      if (to) args.push('--to', to);
      if (concurrency !== undefined) args.push('--concurrency', String(concurrency));
      const s3Pid = stack.servicePids.s3;
      const s3Cpu0 = s3Pid !== undefined ? readProcCpuSeconds(s3Pid) : undefined;
      const r = await runNode({ args, env, label: `discover-${mode}`, profileDir: ctx.profileDir });
      const s3Cpu1 = s3Pid !== undefined ? readProcCpuSeconds(s3Pid) : undefined;
      const listing = lastJsonLine(r.stdout, `discover ${mode}`) as unknown as Omit<Listing, 'peakRssBytes' | 'clientCpuSeconds' | 's3CpuSeconds'>;
      return {
        ...listing,
        peakRssBytes: r.peakRssBytes,
        clientCpuSeconds: r.cpuSeconds,
        ...(s3Cpu0 !== undefined && s3Cpu1 !== undefined ? { s3CpuSeconds: s3Cpu1 - s3Cpu0 } : {}),
      };
    };
    const rounds: Record<string, Listing[]> = { sequential: [], planner: [], plannerHalf: [], plannerOneAtATime: [] };
    for (let round = 0; round < 2; round += 1) {
      rounds.sequential?.push(await list('sequential'));
      rounds.planner?.push(await list('planner'));
      // diagnostic: the same listing with one request at a time, which a single-process server serves best
      rounds.plannerOneAtATime?.push(await list('planner', undefined, 1));
      rounds.plannerHalf?.push(await list('planner', halfTo));
    }
    const best = (xs: Listing[]) => xs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
    const maxRss = (xs: Listing[]) => Math.max(...xs.map((x) => x.peakRssBytes));
    const seq = best(rounds.sequential ?? []);
    const ours = best(rounds.planner ?? []);
    const half = best(rounds.plannerHalf ?? []);
    for (const l of [seq, ours]) {
      if (l.files !== files) throw new Error(`${l.mode} listing found ${l.files} log files, expected ${files}`);
    }
    if (ours.partitions !== PARTITIONS) throw new Error(`ours found ${ours.partitions} day partitions, expected ${PARTITIONS}`);
    const maxHeap = (xs: Listing[]) => Math.max(...xs.map((x) => x.peakHeapUsedBytes));
    const ourRss = maxRss(rounds.planner ?? []);
    const halfRss = maxRss(rounds.plannerHalf ?? []);
    const seqRss = maxRss(rounds.sequential ?? []);
    const growth = ourRss / halfRss - 1;
    out.figures = {
      sequential: rounds.sequential,
      planner: rounds.planner,
      plannerHalf: rounds.plannerHalf,
      plannerOneAtATime: rounds.plannerOneAtATime,
      speedup: round(seq.seconds / ours.seconds),
      plannerPeakRssGrowthWhenFilesDouble: round(growth),
    };
    out.data['files in the half listing'] = half.files;
    out.data['ListObjectsV2 requests, ours (discovery included)'] = ours.listRequests;
    out.data['ListObjectsV2 requests, baseline'] = seq.listRequests;
    out.rows.push(
      {
        scenario: 'discovery',
        name: `discovery time, ${fmtInt(files)} files`,
        ours: { value: ours.seconds, unit: 's', text: `${fmtNum(ours.seconds, 2)} s (${fmtInt(files / ours.seconds)} files/s)` },
        baseline: { value: seq.seconds, unit: 's', text: `${fmtNum(seq.seconds, 2)} s (${fmtInt(files / seq.seconds)} files/s)`, what: 'one sequential ListObjectsV2' },
        ratio: seq.seconds / ours.seconds,
        ratioMeaning: 'speed-up: baseline s ÷ ours s',
        goal: 'faster than the sequential listing',
        met: ours.seconds < seq.seconds,
      },
      {
        scenario: 'discovery',
        name: 'discovery peak RSS',
        ours: {
          value: ourRss,
          unit: 'B',
          text: `${fmtMiB(ourRss)} (${fmtMiB(halfRss)} for ${fmtInt(half.files)} files: ${growth >= 0 ? '+' : ''}${fmtNum(growth * 100)}%); heap used ${fmtMiB(maxHeap(rounds.planner ?? []))} (${fmtMiB(maxHeap(rounds.plannerHalf ?? []))})`,
        },
        baseline: { value: seqRss, unit: 'B', text: `${fmtMiB(seqRss)}; heap used ${fmtMiB(maxHeap(rounds.sequential ?? []))}`, what: 'one sequential ListObjectsV2' },
        ratio: ourRss / seqRss,
        ratioMeaning: 'ours ÷ baseline peak RSS',
        goal: `flat: ≤ +${FLAT_GROWTH * 100}% when the files double`,
        met: growth <= FLAT_GROWTH,
      },
    );
    const one = best(rounds.plannerOneAtATime ?? []);
    if (one.files !== files) throw new Error(`ours, one listing at a time, found ${one.files} log files, expected ${files}`);
    out.rows.push({
      scenario: 'discovery',
      name: `discovery time, ${fmtInt(files)} files, one stream listing at a time (TRAILSCOPE_LIST_CONCURRENCY=1)`,
      ours: {
        value: one.seconds,
        unit: 's',
        text: `${fmtNum(one.seconds, 2)} s (${fmtInt(files / one.seconds)} files/s)${one.s3CpuSeconds !== undefined ? `; ${fmtNum(one.s3CpuSeconds, 2)} s in the S3 server` : ''}`,
      },
      baseline: { value: seq.seconds, unit: 's', text: `${fmtNum(seq.seconds, 2)} s (${fmtInt(files / seq.seconds)} files/s)`, what: 'one sequential ListObjectsV2' },
      ratio: seq.seconds / one.seconds,
      ratioMeaning: 'speed-up: baseline s ÷ ours s',
      goal: 'diagnostic (where the time goes)',
      met: null,
    });
    // Where the time goes: the local S3 server is one Node.js process on the same cores as the listing clients, so
    // its CPU per key, not the number of requests, sets the pace of both strategies.
    if (ours.s3CpuSeconds !== undefined && seq.s3CpuSeconds !== undefined) {
      const cpuText = (l: Listing) =>
        `${fmtNum(l.s3CpuSeconds ?? 0, 2)} s in the S3 server (${fmtNum(((l.s3CpuSeconds ?? 0) * 1e6) / files)} µs per key), ${fmtNum(l.clientCpuSeconds, 2)} s in the lister; ${fmtInt(l.listRequests)} requests`;
      out.rows.push({
        scenario: 'discovery',
        name: `discovery CPU, ${fmtInt(files)} files (fastest rounds)`,
        ours: { value: ours.s3CpuSeconds, unit: 's', text: cpuText(ours) },
        baseline: { value: seq.s3CpuSeconds, unit: 's', text: cpuText(seq), what: 'one sequential ListObjectsV2' },
        ratio: seq.s3CpuSeconds / ours.s3CpuSeconds,
        ratioMeaning: 'baseline ÷ ours S3-server CPU seconds',
        goal: 'diagnostic (where the time goes)',
        met: null,
      });
    }
  },
};
