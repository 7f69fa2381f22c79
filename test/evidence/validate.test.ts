import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { CopyObjectCommand, DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '@trailscope/runtime';
import { generateTrail, gzipLogFile, logFileKey, type GeneratedFile } from '@trailscope/fixtures';
import { createBucket, deleteBucket, makeConfig, runCli, uniqueBucketName, uniqueNamespace } from '../support/env';
import { buildDigestChains, makeSigningKey, uploadDigest, uploadDigests, type BuiltDigest } from './support/digest-chain';

interface Line {
  code?: string;
  key?: string;
  summary?: {
    valid: boolean;
    streams: number;
    chains: number;
    digestFiles: { total: number; valid: number; invalid: number };
    logFiles: { total: number; valid: number; invalid: number };
    unlistedLogFiles: number;
  };
}

const ORG = 'o-exampleorg01';
const DAY1 = Date.parse('2026-03-01T00:00:00Z');
const DAY3 = Date.parse('2026-03-03T00:00:00Z');

function parseLines(stdout: string): { findings: Array<{ code: string; key: string }>; summary: NonNullable<Line['summary']> } {
  const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as Line);
  const last = lines.pop();
  if (!last?.summary) throw new Error(`no summary line in:\n${stdout}`);
  return { findings: lines.map((l) => ({ code: l.code as string, key: l.key as string })), summary: last.summary };
}

const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

describe('trailscope validate over an organization trail with signed digest chains (2 accounts x 2 regions x 2 days)', () => {
  let s3: S3Client;
  let bucket: string;
  let dir: string;
  let keysFile: string;
  let files: GeneratedFile[];
  let digests: BuiltDigest[];
  let signingKey: ReturnType<typeof makeSigningKey>;

  beforeAll(async () => {
    s3 = createS3Client(makeConfig(uniqueNamespace('t-validate')));
    bucket = await createBucket(s3, uniqueBucketName('ts-validate'));
    dir = mkdtempSync(path.join(tmpdir(), 'ts-validate-'));
    const key = makeSigningKey();
    signingKey = key;
    keysFile = path.join(dir, 'public-keys.json');
    writeFileSync(keysFile, key.publicKeysJson);
    files = generateTrail({
      seed: 15,
      accounts: [],
      orgId: ORG,
      orgAccounts: ['111111111111', '222222222222'],
      regions: ['us-east-1', 'eu-west-1'],
      days: ['2026-03-01', '2026-03-02'],
      filesPerPartition: 4,
      eventsPerFile: 5,
    });
    digests = buildDigestChains({ bucket, files, fromMs: DAY1, toMs: DAY3, key });
    await Promise.all(files.map((f) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: f.key, Body: f.body }))));
    await uploadDigests(s3, bucket, digests);
  });

  afterAll(async () => {
    await deleteBucket(s3, bucket).catch(() => undefined);
    s3?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const validate = (extra: string[] = []) => runCli(['validate', '--bucket', bucket, '--public-keys', keysFile, '--json', ...extra]);

  it('reports the untouched trail valid: every digest and every log file, exit 0', async () => {
    const run = await validate();
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const { findings, summary } = parseLines(run.stdout);
    expect(findings).toEqual([]);
    expect(summary).toEqual(
      expect.objectContaining({
        valid: true,
        streams: 4,
        chains: 4,
        digestFiles: { total: digests.length, valid: digests.length, invalid: 0 },
        logFiles: { total: files.length, valid: files.length, invalid: 0 },
        unlistedLogFiles: 0,
      }),
    );
    expect(digests.length).toBe(4 * 48);
  });

  it('validates only the digests delivered in --from/--to, and prints the AWS CLI style summary without --json', async () => {
    const run = await runCli(['validate', '--bucket', bucket, '--public-keys', keysFile, '--from', '2026-03-02T00:30:00Z', '--to', '2026-03-02']);
    expect(run.code).toBe(0);
    // digests ending 01:00 .. 23:00 of day 2 (the one ending at midnight is filed under day 3)
    const inRange = digests.filter((d) => d.endMs >= Date.parse('2026-03-02T00:30:00Z') && d.endMs <= Date.parse('2026-03-02T23:59:59.999Z'));
    const listed = inRange.reduce((n, d) => n + d.logFiles.length, 0);
    expect(run.stdout).toContain('Results requested for 2026-03-02T00:30:00Z to 2026-03-02T23:59:59.999Z');
    expect(run.stdout).toContain(`${inRange.length}/${inRange.length} digest files valid`);
    expect(run.stdout).toContain(`${listed}/${listed} log files valid`);
  });

  it('reports a changed, a deleted and an unlisted log file, a removed digest and a corrupted signature, each with its code and key, and nothing else', async () => {
    const withFiles = digests.filter((d) => d.logFiles.length > 0);
    // tamper in different streams and hours so that no change hides another
    const changed = withFiles[0]!.logFiles[0]!;
    const deleted = withFiles[5]!.logFiles[0]!;
    const streamOf = (d: BuiltDigest) => `${d.account}/${d.region}`;
    const middle = (stream: string, skip: Set<string>) =>
      digests.find((d, i) => streamOf(d) === stream && i % 48 > 2 && i % 48 < 45 && d.logFiles.length === 0 && !skip.has(d.key))!;
    const streams = [...new Set(digests.map(streamOf))];
    const removed = middle(streams[1]!, new Set());
    const corrupted = middle(streams[2]!, new Set([removed.key]));

    const original = files.find((f) => f.key === changed)!;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: changed, Body: gzipLogFile([...original.rawRecords.slice(1)]) }));
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: deleted }));
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: removed.key }));
    const flipped = corrupted.signature.slice(0, -2) + (corrupted.signature.endsWith('00') ? '01' : '00');
    await s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: corrupted.key,
        CopySource: `${bucket}/${corrupted.key}`,
        MetadataDirective: 'REPLACE',
        Metadata: { signature: flipped, 'signature-algorithm': 'SHA256withRSA' },
      }),
    );
    // delivered at 05:10 into a stream's chain, inside a validated hour, listed by no digest
    const d3 = digests[3]!;
    const unlisted = logFileKey({ orgId: ORG, account: d3.account, region: d3.region, fileTimeMs: Date.parse('2026-03-01T05:10:00Z'), suffix: 'Zz9UNLISTEDfile0' });
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: unlisted, Body: gzipSync('{"Records":[]}') }));

    const run = await validate();
    expect(run.code).toBe(1);
    const { findings, summary } = parseLines(run.stdout);
    expect(findings.sort(byKey)).toEqual(
      [
        { code: 'LOG_FILE_MODIFIED', key: changed },
        { code: 'LOG_FILE_MISSING', key: deleted },
        { code: 'DIGEST_MISSING', key: removed.key },
        { code: 'DIGEST_SIGNATURE_INVALID', key: corrupted.key },
        { code: 'LOG_FILE_UNLISTED', key: unlisted },
      ].sort(byKey),
    );
    expect(summary.valid).toBe(false);
    expect(summary.digestFiles).toEqual({ total: digests.length, valid: digests.length - 2, invalid: 2 });
    expect(summary.logFiles).toEqual({ total: files.length, valid: files.length - 2, invalid: 2 });
    expect(summary.unlistedLogFiles).toBe(1);

    const human = await runCli(['validate', '--bucket', bucket, '--public-keys', keysFile]);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain(`DIGEST_MISSING s3://${bucket}/${removed.key}`);
    expect(human.stdout).toContain(`${digests.length - 2}/${digests.length} digest files valid, 2/${digests.length} digest files INVALID`);
  });

  it('refuses a run without keys, with both key sources, and a key file that is not list-public-keys output, naming the input', async () => {
    const none = await runCli(['validate', '--bucket', bucket]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--public-keys FILE or --aws');
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, '{"PublicKeyList":[{"Fingerprint":"ab"}]}');
    const wrong = await runCli(['validate', '--bucket', bucket, '--public-keys', bad]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(`--public-keys ${bad}: PublicKeyList.0.Value`);
    // a CloudTrail endpoint that refuses connections: the ListPublicKeys call fails, with its own code
    const aws = await runCli(['validate', '--bucket', bucket, '--aws'], { env: { AWS_ENDPOINT_URL_CLOUDTRAIL: 'http://127.0.0.1:9', AWS_MAX_ATTEMPTS: '1' } });
    expect(aws.code).toBe(1);
    expect(aws.stdout).toBe('');
    expect(aws.stderr).toContain('[PUBLIC_KEYS_UNAVAILABLE]');
    expect(aws.stderr).toContain('CloudTrail ListPublicKeys failed');
    const time = await runCli(['validate', '--bucket', bucket, '--public-keys', keysFile, '--from', 'yesterday']);
    expect(time.code).toBe(2);
    expect(time.stderr).toContain('--from: expected an ISO-8601 date');
  });

  it('accepts a chain whose previousDigestHashValue drops a hash\'s leading zeros, as a real digest was seen to', async () => {
    const other = await createBucket(s3, uniqueBucketName('ts-validate-zeros'));
    try {
      const one = generateTrail({ seed: 16, accounts: ['444444444444'], regions: ['us-west-2'], days: ['2026-03-01'], filesPerPartition: 2, eventsPerFile: 2 });
      // 192 hourly digests: some hash starts with 0 (all but certainly), and its successor then lists 63 digits or fewer
      const chain = buildDigestChains({ bucket: other, files: one, fromMs: DAY1, toMs: DAY1 + 8 * 86_400_000, key: signingKey, hashWithoutLeadingZeros: true });
      expect(chain.some((d) => d.previousHash !== null && d.previousHash.length < 64)).toBe(true);
      await Promise.all(one.map((f) => s3.send(new PutObjectCommand({ Bucket: other, Key: f.key, Body: f.body }))));
      await uploadDigests(s3, other, chain);
      const run = await runCli(['validate', '--bucket', other, '--public-keys', keysFile, '--json']);
      const { findings, summary } = parseLines(run.stdout);
      expect(findings).toEqual([]);
      expect(run.code).toBe(0);
      expect(summary.digestFiles).toEqual({ total: chain.length, valid: chain.length, invalid: 0 });

      // a changed digest is still caught through a shortened hash: the one after it lists 63 digits or fewer
      const i = chain.findIndex((d, k) => k > 0 && (chain[k + 1]?.previousHash?.length ?? 64) < 64);
      const target = chain[i]!;
      await uploadDigest(s3, other, { key: target.key, body: gzipSync(Buffer.from(gunzipSync(target.body).toString('utf8').replace('"logFiles":[', '"logFiles":[ '))), signature: target.signature });
      const changed = parseLines((await runCli(['validate', '--bucket', other, '--public-keys', keysFile, '--json'])).stdout);
      expect(changed.findings).toEqual([{ code: 'DIGEST_MODIFIED', key: target.key }]);
    } finally {
      await deleteBucket(s3, other).catch(() => undefined);
    }
  });
});

