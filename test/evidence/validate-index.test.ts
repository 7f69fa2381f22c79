import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createOpenSearchClient, createS3Client, type Config, type OpenSearchClient } from '@trailscope/runtime';
import { generateTrail, gzipLogFile, logFileKey, type GeneratedFile } from '@trailscope/fixtures';
import { cleanupNamespace, createBucket, deleteBucket, makeConfig, runCli, uniqueBucketName, uniqueNamespace } from '../support/env';
import { startTestApi, type TestApi } from '../api/support/api-server';
import { buildDigestChains, makeSigningKey, uploadDigests, type BuiltDigest } from './support/digest-chain';

interface Line {
  code?: string;
  key?: string;
  summary?: { valid: boolean; index?: { checked: number; indexed: number; ledgerFilesMissing: number }; logFiles: { total: number } };
}

interface LedgerLine {
  bucket: string;
  key: string;
  etag: string;
  sha256: string;
  account: string;
  region: string;
  recordsRead: number;
  documentsCreated: number;
  duplicates: number;
  deadLettered: number;
  conflicts: number;
  firstEventTime: string;
  lastEventTime: string;
  indices: string[];
  status: string;
}

const ORG = 'o-exampleorg01';
const A = '111111111111';
const B = '222222222222';
const DAY1 = Date.parse('2026-03-01T00:00:00Z');
const DAY3 = Date.parse('2026-03-03T00:00:00Z');

function parseLines(stdout: string) {
  const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as Line);
  const last = lines.pop();
  if (!last?.summary) throw new Error(`no summary line in:\n${stdout}`);
  return { findings: lines.map((l) => ({ code: l.code as string, key: l.key as string })), summary: last.summary };
}

const byKeyThenCode = (a: { key: string; code: string }, b: { key: string; code: string }) => (a.key + a.code < b.key + b.code ? -1 : 1);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('validate --index, trailscope files and GET /v1/files: the file ledger proves the index complete', () => {
  let s3: S3Client;
  let opensearch: OpenSearchClient;
  let config: Config;
  let ns: string;
  let bucket: string;
  let dir: string;
  let keysFile: string;
  let files: GeneratedFile[];
  let digests: BuiltDigest[];
  let api: TestApi | undefined;

  beforeAll(async () => {
    ns = uniqueNamespace('t-ledger');
    config = makeConfig(ns);
    s3 = createS3Client(config);
    opensearch = createOpenSearchClient(config);
    bucket = await createBucket(s3, uniqueBucketName('ts-ledger'));
    dir = mkdtempSync(path.join(tmpdir(), 'ts-ledger-'));
    const key = makeSigningKey();
    keysFile = path.join(dir, 'public-keys.json');
    writeFileSync(keysFile, key.publicKeysJson);
    files = generateTrail({ seed: 151, accounts: [], orgId: ORG, orgAccounts: [A, B], regions: ['us-east-1', 'eu-west-1'], days: ['2026-03-01', '2026-03-02'], filesPerPartition: 2, eventsPerFile: 4 });
    digests = buildDigestChains({ bucket, files, fromMs: DAY1, toMs: DAY3, key });
    await Promise.all(files.map((f) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: f.key, Body: f.body }))));
    await uploadDigests(s3, bucket, digests);
    const setup = await runCli(['setup', '--json'], { env: { TRAILSCOPE_NAMESPACE: ns } });
    expect(setup.code).toBe(0);
  });

  afterAll(async () => {
    await api?.close();
    await deleteBucket(s3, bucket).catch(() => undefined);
    await cleanupNamespace(opensearch, ns).catch(() => undefined);
    s3?.destroy();
    await opensearch?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // a function: ns is set in beforeAll, after this body ran
  const env = () => ({ TRAILSCOPE_NAMESPACE: ns });
  const validateIndex = () => runCli(['validate', '--bucket', bucket, '--public-keys', keysFile, '--index', '--json'], { env: env() });
  const backfill = async (extra: string[] = []) => {
    const run = await runCli(['backfill', '--bucket', bucket, '--wait', '--json', ...extra], { env: env() });
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  };

  it('reports every listed file not ingested yet as LOG_FILE_NOT_INDEXED, one indexed with other content as LOG_FILE_CHANGED_SINCE_INDEXED, and nothing else', async () => {
    // indexed while it held other content than CloudTrail delivered, then put back
    const tampered = files.find((f) => f.deliveryDate === '2026-03-01')!;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: tampered.key, Body: gzipLogFile(tampered.rawRecords.slice(1)) }));
    await backfill(['--to', '2026-03-01']);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: tampered.key, Body: tampered.body }));
    const run = await validateIndex();
    expect(run.code).toBe(1);
    const { findings, summary } = parseLines(run.stdout);
    const day2 = files.filter((f) => f.deliveryDate === '2026-03-02');
    expect(day2.length).toBe(files.length / 2);
    expect(findings.sort(byKeyThenCode)).toEqual(
      [...day2.map((f) => ({ code: 'LOG_FILE_NOT_INDEXED', key: f.key })), { code: 'LOG_FILE_CHANGED_SINCE_INDEXED', key: tampered.key }].sort(byKeyThenCode),
    );
    expect(summary.index).toEqual({ checked: files.length, indexed: files.length - day2.length - 1, ledgerFilesMissing: 0 });
  });

  it('after a backfill of everything: valid, exit 0, every listed log file indexed unchanged', async () => {
    await backfill();
    const run = await validateIndex();
    expect(run.stderr).toBe('');
    const { findings, summary } = parseLines(run.stdout);
    expect(findings).toEqual([]);
    expect(run.code).toBe(0);
    expect(summary.valid).toBe(true);
    expect(summary.index).toEqual({ checked: files.length, indexed: files.length, ledgerFilesMissing: 0 });
    const human = await runCli(['validate', '--bucket', bucket, '--public-keys', keysFile, '--index'], { env: env() });
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`${files.length}/${files.length} listed log files indexed unchanged`);
  });

  it('files --json lists what each file contributed: hash of the uncompressed bytes, records, documents, event times', async () => {
    const run = await runCli(['files', '--json'], { env: env() });
    expect(run.code).toBe(0);
    const entries = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as LedgerLine);
    // the file indexed while tampered has an entry per version (etag): the tampered one and the one put back
    const tampered = files.find((f) => f.deliveryDate === '2026-03-01')!;
    expect(entries.map((e) => e.key)).toEqual([...files.map((f) => f.key), tampered.key].sort());
    const tamperedEntry = entries.find((e) => e.key === tampered.key && e.sha256 !== sha256(gunzipSync(tampered.body)))!;
    expect(tamperedEntry).toEqual(expect.objectContaining({ recordsRead: tampered.rawRecords.length - 1, documentsCreated: tampered.rawRecords.length - 1, status: 'indexed' }));
    for (const f of files) {
      const e = entries.find((x) => x.key === f.key && x.sha256 === sha256(gunzipSync(f.body)))!;
      const times = f.records.map((r) => Date.parse(r.eventTime as string)).sort((x, y) => x - y);
      expect(e).toEqual(
        expect.objectContaining({
          bucket,
          sha256: sha256(gunzipSync(f.body)),
          account: f.account,
          region: f.region,
          recordsRead: f.rawRecords.length,
          duplicates: f === tampered ? f.rawRecords.length - 1 : 0,
          deadLettered: 0,
          conflicts: 0,
          firstEventTime: new Date(times[0]!).toISOString(),
          lastEventTime: new Date(times[times.length - 1]!).toISOString(),
          status: 'indexed',
        }),
      );
      expect(e.documentsCreated).toBe(f === tampered ? 1 : f.rawRecords.length);
      expect(e.indices.length).toBeGreaterThan(0);
    }

    const onlyA = await runCli(['files', '--account', A, '--region', 'eu-west-1', '--json'], { env: env() });
    const keysA = onlyA.stdout.trim().split('\n').map((l) => (JSON.parse(l) as LedgerLine).key);
    expect([...new Set(keysA)]).toEqual(files.filter((f) => f.account === A && f.region === 'eu-west-1').map((f) => f.key).sort());
    expect(keysA.length).toBeGreaterThan(0);
    const failed = await runCli(['files', '--status', 'failed', '--json'], { env: env() });
    expect({ code: failed.code, stdout: failed.stdout }).toEqual({ code: 0, stdout: '' });
    const human = await runCli(['files', '--limit', '3'], { env: env() });
    expect(human.stdout.trim().split('\n')).toHaveLength(3);
    expect(human.stderr).toContain(`3 of ${files.length + 1} file(s)`);
    const bad = await runCli(['files', '--status', 'done'], { env: env() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--status');
  });

  it('GET /v1/files pages the ledger for an unrestricted key; a key limited to an account is refused', async () => {
    api = await startTestApi({ ns, config, client: opensearch });
    const admin = await api.keys.create({ name: 'admin' });
    const scoped = await api.keys.create({ name: 'team-a', accounts: [A] });
    const get = (query: string, k: { id: string; secret: string }) => fetch(`${api!.url}/v1/files?${query}`, { headers: { authorization: `Bearer ${k.id}.${k.secret}` } });
    type Page = { files: LedgerLine[]; total: number; cursor?: string };
    const keys: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await get(`pageSize=5${cursor ? `&cursor=${cursor}` : ''}`, admin);
      expect(res.status).toBe(200);
      const page = (await res.json()) as Page;
      expect(page.total).toBe(files.length + 1);
      keys.push(...page.files.map((f) => f.key));
      cursor = page.cursor;
    } while (cursor);
    expect(keys.length).toBe(files.length + 1);
    expect([...new Set(keys)]).toEqual(files.map((f) => f.key).sort());

    const forA = (await (await get(`accounts=${A}`, admin)).json()) as Page;
    expect([...new Set(forA.files.map((f) => f.key))]).toEqual(files.filter((f) => f.account === A).map((f) => f.key).sort());
    // the ledger is for unrestricted keys only, even for the scoped key's own accounts
    for (const query of ['', `accounts=${A}`, `accounts=${B}`]) {
      const refused = await get(query, scoped);
      const body = (await refused.json()) as { error: { code: string; message: string } };
      expect([refused.status, body.error.code]).toEqual([403, 'FORBIDDEN']);
      expect(body.error.message).toMatch(/^files: only keys without an account or region limit/);
    }
    const bad = await get('statuses=done', admin);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('statuses');
    expect((await fetch(`${api.url}/v1/files`)).status).toBe(401);
  });

  it('reports a file overwritten in S3, a file whose documents left the index and an indexed file gone from S3, and nothing else', async () => {
    const ingestedGone = logFileKey({ orgId: ORG, account: B, region: 'us-east-1', fileTimeMs: Date.parse('2026-03-01T07:10:00Z'), suffix: 'Zz9INDEXEDGONE00' });
    const gone = files[0]!;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: ingestedGone, Body: gzipLogFile(gone.rawRecords.slice(0, 1)) }));
    // a file that fails for good, delivered after the digests' range (so no digest window judges it)
    const broken = logFileKey({ orgId: ORG, account: A, region: 'us-east-1', fileTimeMs: Date.parse('2026-03-05T10:00:00Z'), suffix: 'Zz9NOTGZIPfile00' });
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: broken, Body: Buffer.from('{"Records":[]}') }));
    const run1 = await runCli(['backfill', '--bucket', bucket, '--wait', '--json'], { env: env() });
    expect(run1.code).toBe(1);
    expect(JSON.parse(run1.stdout.trim().split('\n').pop()!)).toMatchObject({ filesFailed: 1 });
    const failed = await runCli(['files', '--status', 'failed', '--json'], { env: env() });
    expect(failed.stdout.trim().split('\n').map((l) => JSON.parse(l) as LedgerLine & { errorCode: string })).toEqual([
      expect.objectContaining({ key: broken, status: 'failed', errorCode: 'NOT_GZIP', recordsRead: 0 }),
    ]);
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: ingestedGone }));

    const overwritten = files[3]!;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: overwritten.key, Body: gzipLogFile(overwritten.rawRecords.slice(1)) }));

    const partial = files[6]!;
    const lostId = (partial.records[0] as { eventID: string }).eventID;
    const deleted = await opensearch.deleteByQuery({ index: config.names.eventIndexPattern, body: { query: { term: { id: lostId } } }, refresh: true });
    expect((deleted.body as { deleted: number }).deleted).toBe(1);

    const run = await validateIndex();
    expect(run.code).toBe(1);
    const { findings, summary } = parseLines(run.stdout);
    expect(findings.sort(byKeyThenCode)).toEqual(
      [
        { code: 'LOG_FILE_MODIFIED', key: overwritten.key },
        { code: 'LOG_FILE_CHANGED_SINCE_INDEXED', key: overwritten.key },
        { code: 'LOG_FILE_PARTIALLY_INDEXED', key: partial.key },
        { code: 'INDEXED_FILE_MISSING', key: ingestedGone },
      ].sort(byKeyThenCode),
    );
    expect(summary.index).toEqual({ checked: files.length, indexed: files.length - 2, ledgerFilesMissing: 1 });
  });
});
