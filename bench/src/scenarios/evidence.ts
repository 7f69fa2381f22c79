import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, gunzipSync, gzipSync } from 'node:zlib';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { exportEvents, parsePublicKeys, streamTarget, validateTrail } from '@trailscope/evidence';
import { createRandom, gzipLogFile, logFileKey, makeRecord } from '@trailscope/fixtures';
import { createBulkWriter, installTemplates } from '@trailscope/indexer';
import { parseLogFile } from '@trailscope/parser';
import { DEFAULT_SCAN_PAGE_SIZE, UNRESTRICTED } from '@trailscope/query';
import { createLogger, createOpenSearchClient, type Config, type OpenSearchClient } from '@trailscope/runtime';
import type { Scenario } from '../bench-context';
import { CLI_BIN, lastJsonLine, runNode } from '../child-process';
import { createBenchS3, deleteBucket, ensureBucket, uploadAll } from '../bench-buckets';
import { fmtInt, fmtMiB, fmtNum, round } from '../format';
import { PeakRssSampler, readProcCpuSeconds } from '../proc-memory';
import type { IngestedNamespace } from './ingest';

const ACCOUNT = '310000000001';
const REGIONS = ['us-east-1', 'eu-west-1'];
const EVENTS_PER_FILE = 10;
const HOUR = 3_600_000;
const T0 = Date.parse('2026-03-01T00:00:00Z');
const FILES_PER_HOUR = 20;

interface LogFile {
  key: string;
  body: Buffer;
  region: string;
  sha256: string;
  hour: number;
}

const pad = (n: number) => String(n).padStart(2, '0');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
function digestKey(region: string, endMs: number): string {
  const d = new Date(endMs);
  const stamp = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
  return `AWSLogs/${ACCOUNT}/CloudTrail-Digest/${region}/${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${ACCOUNT}_CloudTrail-Digest_${region}_bench-trail_us-east-1_${stamp}.json.gz`;
}

/** Log files spread over the hours of both regions, FILES_PER_HOUR per region and hour. */
function makeFiles(count: number): LogFile[] {
  const r = createRandom(1515);
  const out: LogFile[] = [];
  for (let i = 0; i < count; i += 1) {
    const region = REGIONS[i % REGIONS.length] as string;
    const hour = Math.floor(i / (REGIONS.length * FILES_PER_HOUR));
    const fileTimeMs = T0 + hour * HOUR + (Math.floor(i / REGIONS.length) % FILES_PER_HOUR) * 120_000;
    const rawRecords = Array.from({ length: EVENTS_PER_FILE }, (_, k) => JSON.stringify(makeRecord(r, ACCOUNT, region, fileTimeMs - 60_000 + k * 1000)));
    const body = gzipLogFile(rawRecords);
    const key = logFileKey({ account: ACCOUNT, region, fileTimeMs, suffix: r.hex(16) });
    out.push({ key, body, region, hour, sha256: createHash('sha256').update(gunzipSync(body)).digest('hex') });
  }
  return out;
}

/** Signed hourly digest chains over `files` (CloudTrail's signing string: end time, location, hash, previous signature). */
function makeDigests(bucket: string, files: LogFile[], hours: number): { digests: Array<{ key: string; body: Buffer; signature: string }>; publicKeysJson: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const der = publicKey.export({ format: 'der', type: 'pkcs1' });
  const fingerprint = createHash('md5').update(der).digest('hex');
  const digests: Array<{ key: string; body: Buffer; signature: string }> = [];
  for (const region of REGIONS) {
    let previous: { key: string; hash: string; signature: string } | undefined;
    for (let h = 0; h < hours; h += 1) {
      const start = T0 + h * HOUR;
      const end = start + HOUR;
      const key = digestKey(region, end);
      const listed = files.filter((f) => f.region === region && f.hour === h);
      const doc = {
        awsAccountId: ACCOUNT,
        digestStartTime: iso(start),
        digestEndTime: iso(end),
        digestS3Bucket: bucket,
        digestS3Object: key,
        digestPublicKeyFingerprint: fingerprint,
        digestSignatureAlgorithm: 'SHA256withRSA',
        previousDigestS3Bucket: previous ? bucket : null,
        previousDigestS3Object: previous?.key ?? null,
        previousDigestHashValue: previous?.hash ?? null,
        previousDigestHashAlgorithm: previous ? 'SHA-256' : null,
        previousDigestSignature: previous?.signature ?? null,
        logFiles: listed.map((f) => ({ s3Bucket: bucket, s3Object: f.key, hashValue: f.sha256, hashAlgorithm: 'SHA-256' })),
      };
      const text = Buffer.from(JSON.stringify(doc));
      const hash = createHash('sha256').update(text).digest('hex');
      const signature = sign('sha256', Buffer.from(`${doc.digestEndTime}\n${bucket}/${key}\n${hash}\n${doc.previousDigestSignature ?? 'null'}`), privateKey).toString('hex');
      digests.push({ key, body: gzipSync(text), signature });
      previous = { key, hash, signature };
    }
  }
  return { digests, publicKeysJson: JSON.stringify({ PublicKeyList: [{ Value: der.toString('base64'), Fingerprint: fingerprint }] }) };
}

/** The baseline of validation: each listed log file downloaded and hashed, one after another. */
async function downloadAndHashSequentially(s3: S3Client, bucket: string, keys: string[]): Promise<number> {
  let bytes = 0;
  for (const key of keys) {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const hash = createHash('sha256');
    await pipeline(res.Body as Readable, createGunzip(), new Writable({ write(chunk: Buffer, _e, done) { hash.update(chunk); bytes += chunk.length; done(); } }));
    hash.digest('hex');
  }
  return bytes;
}

async function seedEvents(client: OpenSearchClient, config: Config, files: LogFile[]): Promise<number> {
  await installTemplates(client, config);
  const writer = createBulkWriter({ client, config, logger: createLogger({ level: 'warn', name: 'bench-evidence' }) });
  for (const f of files) {
    const source = { bucket: 'bench', key: f.key, etag: f.sha256.slice(0, 32), kind: 'log' as const, account: ACCOUNT, region: f.region };
    for await (const item of parseLogFile(Readable.from([f.body]), source, {})) {
      if (item.ok) await writer.add(item.id, item.doc);
    }
  }
  const stats = await writer.flush();
  await client.indices.refresh({ index: config.names.eventIndexPattern });
  return stats.indexed + stats.duplicates;
}

/**
 * The baseline of export: a plain scroll over the read alias in index order (`_doc`, the cheapest order there is),
 * of `_source.raw` (all an ndjson export reads of a document), as many hits a page as the export reads.
 */
async function plainScroll(client: OpenSearchClient, index: string): Promise<{ events: number; bytes: number }> {
  let res = await client.search({ index, scroll: '2m', body: { size: DEFAULT_SCAN_PAGE_SIZE, sort: ['_doc'], _source: ['raw'] } as never });
  let events = 0;
  let bytes = 0;
  let scrollId = (res.body as { _scroll_id?: string })._scroll_id;
  for (;;) {
    const hits = (res.body as { hits: { hits: Array<{ _source: { raw: string } }> } }).hits.hits;
    if (hits.length === 0) break;
    for (const h of hits) {
      events += 1;
      bytes += h._source.raw.length + 1;
    }
    res = await client.scroll({ scroll_id: scrollId as string, scroll: '2m' } as never);
    scrollId = (res.body as { _scroll_id?: string })._scroll_id ?? scrollId;
  }
  if (scrollId) await client.clearScroll({ scroll_id: scrollId } as never).catch(() => undefined);
  return { events, bytes };
}

interface Timed<T> {
  seconds: number;
  peakRssBytes: number;
  /** CPU of this process (the client side) while fn ran. */
  cpuSeconds: number;
  /** CPU of the S3 server while fn ran, when the bench started it. */
  s3CpuSeconds?: number;
  result: T;
}

async function timed<T>(fn: () => Promise<T>, s3Pid?: number): Promise<Timed<T>> {
  const sampler = new PeakRssSampler(process.pid, 20).start();
  const s3Cpu0 = s3Pid !== undefined ? readProcCpuSeconds(s3Pid) : undefined;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await fn();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const s3Cpu1 = s3Pid !== undefined ? readProcCpuSeconds(s3Pid) : undefined;
  sampler.stop();
  return {
    seconds,
    peakRssBytes: sampler.peakBytes,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    ...(s3Cpu0 !== undefined && s3Cpu1 !== undefined ? { s3CpuSeconds: s3Cpu1 - s3Cpu0 } : {}),
    result,
  };
}

export const evidenceScenario: Scenario = {
  id: 'evidence',
  title: 'evidence: validate (digest chains and log-file hashes) vs sequential download-and-hash; export vs a plain scroll',
  async run(ctx, out) {
    const count = ctx.options.sizes.evidenceLogFiles;
    const stack = await ctx.stack();
    const ns = ctx.namespace('evid');
    const config = stack.configFor(ns);
    const s3 = createBenchS3(config);
    const client = createOpenSearchClient(config);
    const bucket = `tsbench-evidence-${ctx.runId}`;
    ctx.onCleanup(async () => {
      if (!ctx.options.keep) {
        await deleteBucket(s3, bucket).catch(() => undefined);
        await client.indices.delete({ index: `${ns}-*`, expand_wildcards: 'all', ignore_unavailable: true, allow_no_indices: true } as never, { ignore: [404] }).catch(() => undefined);
        await client.indices.deleteIndexTemplate({ name: config.names.eventTemplate }, { ignore: [404] }).catch(() => undefined);
      }
      await client.close();
    });

    const files = makeFiles(count);
    const hours = Math.max(...files.map((f) => f.hour)) + 1;
    const { digests, publicKeysJson } = makeDigests(bucket, files, hours);
    await ensureBucket(s3, bucket);
    ctx.log(`evidence: uploading ${fmtInt(files.length)} log files and ${fmtInt(digests.length)} signed digests to ${bucket}`);
    await uploadAll(s3, bucket, files.map((f) => ({ key: f.key, body: f.body })), 32);
    await Promise.all(digests.map((d) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: d.key, Body: d.body, Metadata: { signature: d.signature, 'signature-algorithm': 'SHA256withRSA' } }))));
    const publicKeys = parsePublicKeys(publicKeysJson, 'bench keys');

    out.data = { 'log files': files.length, 'digest files': digests.length, 'events per log file': EVENTS_PER_FILE, regions: REGIONS.length };
    out.method.push(
      `A signed hourly digest chain per region (${REGIONS.length} regions, ${FILES_PER_HOUR} log files per region and hour, ${EVENTS_PER_FILE} events each) on the stack's S3 server.`,
      'Validate, ours: `validateTrail` as `trailscope validate` runs it (16 log files fetched and hashed at once), in this process. Baseline: the same log files downloaded, gunzipped and hashed one after another. Two rounds each, alternating; the faster counts. The CPU of the S3 server (from /proc) and of this process is read around each round: the diagnostic row divides the baseline time by the S3 server\'s CPU seconds during ours, the most a parallel validation can gain while that one process serves every GET.',
      `Validate peak RSS: \`trailscope validate --bucket B --public-keys FILE --json\` in a child process (peak RSS from /proc, VmHWM), over the hours up to the middle of the trail (\`--to\`) and over all of it, about twice the log files; two rounds, the higher peak of each counts.`,
      `Export, ours: \`exportEvents\` with format ndjson into a discarding stream, as \`trailscope export\` runs it (point in time + search_after on eventTime and id, oldest first, ${fmtInt(DEFAULT_SCAN_PAGE_SIZE)} hits a page reading \`_source.raw\` only, the next page requested while one is written, every byte hashed for the manifest). Baseline: a plain scroll (${fmtInt(DEFAULT_SCAN_PAGE_SIZE)} hits a page, \`_doc\` order, one page after another) of the same \`_source.raw\`, nothing done with the hits but counting them. Over the ingest scenario's namespace when it ran before, else over the events of the validate data, indexed here. Peak RSS is this process's (the bench), sampled every 20 ms: a diagnostic.`,
    );

    const validateRounds: number[] = [];
    const baselineRounds: number[] = [];
    let validPeak = 0;
    const s3Pid = stack.servicePids.s3;
    let fastestOurs: Timed<unknown> | undefined;
    let fastestBase: Timed<unknown> | undefined;
    for (let round = 0; round < 2; round += 1) {
      const v = await timed(() => validateTrail(s3, { bucket, publicKeys, onFinding: () => undefined }), s3Pid);
      if (!v.result.valid || v.result.logFiles.valid !== files.length) throw new Error(`validate found the bench trail invalid: ${JSON.stringify(v.result)}`);
      validateRounds.push(v.seconds);
      validPeak = Math.max(validPeak, v.peakRssBytes);
      if (!fastestOurs || v.seconds < fastestOurs.seconds) fastestOurs = v;
      const b = await timed(() => downloadAndHashSequentially(s3, bucket, files.map((f) => f.key)), s3Pid);
      baselineRounds.push(b.seconds);
      if (!fastestBase || b.seconds < fastestBase.seconds) fastestBase = b;
    }
    const ours = Math.min(...validateRounds);
    const base = Math.min(...baselineRounds);
    out.figures.validateSeconds = validateRounds;
    out.figures.sequentialSeconds = baselineRounds;
    out.rows.push({
      scenario: 'evidence',
      name: `validate, ${fmtInt(files.length)} log files + ${fmtInt(digests.length)} digests`,
      ours: { value: files.length / ours, unit: 'files/s', text: `${fmtNum(ours, 2)} s (${fmtInt(files.length / ours)} log files/s, digests verified too)` },
      baseline: { value: files.length / base, unit: 'files/s', text: `${fmtNum(base, 2)} s (${fmtInt(files.length / base)} files/s)`, what: 'download, gunzip and hash each log file in turn' },
      ratio: base / ours,
      ratioMeaning: 'speed-up: baseline s ÷ ours s',
      goal: '≥ 2× faster',
      met: base / ours >= 2,
    });
    // Where the time goes: the S3 server is one Node.js process on the same cores, so a validation that keeps it busy
    // cannot take less time than the CPU it spends serving the GETs; baseline ÷ that CPU time bounds the speed-up.
    if (fastestOurs?.s3CpuSeconds !== undefined && fastestBase?.s3CpuSeconds !== undefined) {
      const cpuText = (t: Timed<unknown>) =>
        `${fmtNum(t.s3CpuSeconds ?? 0, 2)} s in the S3 server (${fmtNum(((t.s3CpuSeconds ?? 0) * 1e6) / files.length)} µs per log file), ${fmtNum(t.cpuSeconds, 2)} s in the client, over ${fmtNum(t.seconds, 2)} s`;
      out.rows.push({
        scenario: 'evidence',
        name: `validate CPU, ${fmtInt(files.length)} log files (fastest rounds)`,
        ours: { value: fastestOurs.s3CpuSeconds, unit: 's', text: cpuText(fastestOurs) },
        baseline: { value: fastestBase.s3CpuSeconds, unit: 's', text: cpuText(fastestBase), what: 'download, gunzip and hash each log file in turn' },
        ratio: base / fastestOurs.s3CpuSeconds,
        ratioMeaning: "baseline s ÷ the S3 server's CPU seconds during ours: the highest speed-up this single-process S3 server allows",
        goal: 'diagnostic (where the time goes)',
        met: null,
      });
    }

    // peak RSS of `trailscope validate` as the file count doubles: the first half of the hours (--to), then all of them
    const keysDir = path.join(ctx.dataDir, `evidence-${ctx.runId}`);
    mkdirSync(keysDir, { recursive: true });
    const keysFile = path.join(keysDir, 'public-keys.json');
    writeFileSync(keysFile, publicKeysJson);
    const halfHours = Math.floor(hours / 2);
    const halfTo = iso(T0 + halfHours * HOUR);
    const cliValidate = async (label: string, extra: string[]) => {
      const res = await runNode({ args: [CLI_BIN, 'validate', '--bucket', bucket, '--public-keys', keysFile, '--json', ...extra], env: stack.envFor(ns), label, profileDir: ctx.profileDir });
      const summary = lastJsonLine(res.stdout, label).summary as { valid: boolean; logFiles: { valid: number; total: number } };
      if (!summary.valid) throw new Error(`${label}: validate found the bench trail invalid: ${JSON.stringify(summary)}`);
      return { files: summary.logFiles.valid, peakRssBytes: res.peakRssBytes };
    };
    const smallPeaks: number[] = [];
    const largePeaks: number[] = [];
    let smallFiles = 0;
    let largeFiles = 0;
    try {
      for (let round = 0; round < 2; round += 1) {
        const small = await cliValidate(`evidence-validate-half-${round}`, ['--to', halfTo]);
        const large = await cliValidate(`evidence-validate-all-${round}`, []);
        smallPeaks.push(small.peakRssBytes);
        largePeaks.push(large.peakRssBytes);
        smallFiles = small.files;
        largeFiles = large.files;
      }
    } finally {
      rmSync(keysDir, { recursive: true, force: true });
    }
    if (largeFiles !== files.length) throw new Error(`validate of the whole trail checked ${largeFiles} log files, the trail has ${files.length}`);
    const smallPeak = Math.max(...smallPeaks);
    const largePeak = Math.max(...largePeaks);
    out.figures.validateRssSmallBytes = smallPeaks;
    out.figures.validateRssLargeBytes = largePeaks;
    out.rows.push({
      scenario: 'evidence',
      name: `validate peak RSS, ${fmtInt(smallFiles)} → ${fmtInt(largeFiles)} log files (trailscope validate, child processes)`,
      ours: { value: largePeak, unit: 'B', text: `${fmtMiB(largePeak)} for ${fmtInt(largeFiles)} files` },
      baseline: { value: smallPeak, unit: 'B', text: `${fmtMiB(smallPeak)} for ${fmtInt(smallFiles)} files`, what: `the same command over the first ${halfHours} hours (--to)` },
      ratio: largePeak / smallPeak,
      ratioMeaning: 'peak RSS with the larger ÷ the smaller file count',
      goal: '≤ +10%',
      met: largePeak / smallPeak <= 1.1,
    });

    const ingested = ctx.shared.get('ingested') as IngestedNamespace | undefined;
    let exportConfig = config;
    let events: number;
    if (ingested) {
      exportConfig = ingested.config;
      events = ingested.events;
    } else {
      ctx.log(`evidence: indexing the ${fmtInt(files.length * EVENTS_PER_FILE)} events of the validate data for the export rows`);
      events = await seedEvents(client, config, files);
    }
    const exportClient = ingested ? createOpenSearchClient(exportConfig) : client;
    try {
      const exportRounds: number[] = [];
      const scrollRounds: number[] = [];
      let exportPeak = 0;
      let scrollPeak = 0;
      for (let round = 0; round < 2; round += 1) {
        const sink = new Writable({ write(_chunk: Buffer, _e, done) { done(); } });
        const e = await timed(() => exportEvents(exportClient, exportConfig.names, { format: 'ndjson', filters: {}, scope: UNRESTRICTED, target: streamTarget(sink) }));
        if (e.result.events !== events) throw new Error(`export wrote ${e.result.events} events, the index holds ${events}`);
        exportRounds.push(e.seconds);
        exportPeak = Math.max(exportPeak, e.peakRssBytes);
        const s = await timed(() => plainScroll(exportClient, exportConfig.names.eventsAlias));
        if (s.result.events !== events) throw new Error(`the scroll read ${s.result.events} events, the index holds ${events}`);
        scrollRounds.push(s.seconds);
        scrollPeak = Math.max(scrollPeak, s.peakRssBytes);
      }
      const ex = Math.min(...exportRounds);
      const sc = Math.min(...scrollRounds);
      out.data['events exported'] = events;
      out.figures.exportSeconds = exportRounds;
      out.figures.scrollSeconds = scrollRounds;
      out.figures.exportToScrollRatio = round(sc / ex);
      out.rows.push(
        {
          scenario: 'evidence',
          name: `export ndjson, ${fmtInt(events)} events`,
          ours: { value: events / ex, unit: 'events/s', text: `${fmtNum(ex, 2)} s (${fmtInt(events / ex)} events/s)` },
          baseline: { value: events / sc, unit: 'events/s', text: `${fmtNum(sc, 2)} s (${fmtInt(events / sc)} events/s)`, what: 'a plain scroll (_doc order) of the same _source.raw' },
          ratio: sc / ex,
          ratioMeaning: 'ours ÷ baseline events/s',
          goal: '≥ 0.8',
          met: sc / ex >= 0.8,
        },
        {
          scenario: 'evidence',
          name: 'validate and export peak RSS (the bench process)',
          ours: { value: Math.max(validPeak, exportPeak), unit: 'B', text: `validate ${fmtMiB(validPeak)}, export ${fmtMiB(exportPeak)}` },
          baseline: { value: scrollPeak, unit: 'B', text: `scroll ${fmtMiB(scrollPeak)}`, what: 'the plain scroll' },
          ratio: exportPeak / scrollPeak,
          ratioMeaning: 'export ÷ scroll peak RSS',
          goal: 'diagnostic',
          met: null,
        },
      );
    } finally {
      if (ingested) await exportClient.close();
    }
  },
};
