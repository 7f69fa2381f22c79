import { createGzip, gzipSync } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '@trailscope/runtime';
import { parsePublicKeys, validateTrail, type Finding } from '@trailscope/evidence';
import { createBucket, deleteBucket, makeConfig, uniqueBucketName, uniqueNamespace } from '../support/env';
import { digestKeyFor, makeSigningKey, signDigest, uploadDigest } from './support/digest-chain';

const ACCOUNT = '333333333333';
const REGION = 'eu-central-1';
const HOUR = 3_600_000;
const T0 = Date.parse('2026-04-01T00:00:00Z');

const keyAt = (hour: number) => digestKeyFor({ account: ACCOUNT, region: REGION, trailName: 'my_trail.v2', trailRegion: 'us-east-1', endMs: T0 + hour * HOUR });

function document(bucket: string, key: string, hour: number, fingerprint: string): Record<string, unknown> {
  return {
    awsAccountId: ACCOUNT,
    digestStartTime: new Date(T0 + (hour - 1) * HOUR).toISOString(),
    digestEndTime: new Date(T0 + hour * HOUR).toISOString(),
    digestS3Bucket: bucket,
    digestS3Object: key,
    digestPublicKeyFingerprint: fingerprint,
    digestSignatureAlgorithm: 'SHA256withRSA',
    previousDigestS3Bucket: null,
    previousDigestS3Object: null,
    previousDigestHashValue: null,
    previousDigestHashAlgorithm: null,
    previousDigestSignature: null,
    logFiles: [],
  };
}

/** A gzip digest with a million logFiles entries, compressed as it is produced (a few MB, ~300 MB of JSON). */
async function millionEntryDigest(bucket: string, key: string, fingerprint: string): Promise<Buffer> {
  const head = JSON.stringify({ ...document(bucket, key, 6, fingerprint), logFiles: undefined }).slice(0, -1);
  const gzip = createGzip();
  const chunks: Buffer[] = [];
  gzip.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((resolve) => gzip.on('end', resolve));
  gzip.write(`${head},"logFiles":[`);
  const entry = (i: number) =>
    JSON.stringify({
      s3Bucket: bucket,
      s3Object: `AWSLogs/${ACCOUNT}/CloudTrail/${REGION}/2026/04/01/${ACCOUNT}_CloudTrail_${REGION}_20260401T0500Z_${String(i).padStart(16, '0')}.json.gz`,
      hashValue: 'ab'.repeat(32),
      hashAlgorithm: 'SHA-256',
    });
  for (let i = 0; i < 1_000_000; i += 10_000) {
    const batch: string[] = [];
    for (let j = i; j < i + 10_000; j += 1) batch.push(entry(j));
    if (!gzip.write(`${i === 0 ? '' : ','}${batch.join(',')}`)) await new Promise((r) => gzip.once('drain', r));
  }
  gzip.end(']}');
  await done;
  return Buffer.concat(chunks);
}

describe('validate with untrusted digest files', () => {
  let s3: S3Client;
  let bucket: string;

  beforeAll(async () => {
    s3 = createS3Client(makeConfig(uniqueNamespace('t-digests')));
    bucket = await createBucket(s3, uniqueBucketName('ts-digests'));
  });

  afterAll(async () => {
    await deleteBucket(s3, bucket).catch(() => undefined);
    s3?.destroy();
  });

  it('reports each broken digest with its key and a code, crashes on none, and keeps memory bounded', async () => {
    const key = makeSigningKey();
    const fp = key.fingerprint;
    const signed = (hour: number, doc: Record<string, unknown>) => {
      const text = Buffer.from(JSON.stringify(doc));
      return { body: gzipSync(text), signature: signDigest(doc as never, text, key.privateKey) };
    };
    const cases: Array<{ hour: number; body: Buffer; signature?: string; code: string }> = [
      { hour: 1, body: Buffer.from(JSON.stringify(document(bucket, keyAt(1), 1, fp))), signature: 'aa', code: 'DIGEST_MALFORMED' }, // not gzip
      { hour: 2, body: gzipSync('{"awsAccountId": "3333'), signature: 'aa', code: 'DIGEST_MALFORMED' }, // not JSON
      { hour: 3, body: gzipSync(JSON.stringify({ ...document(bucket, keyAt(3), 3, fp), digestEndTime: undefined })), signature: 'aa', code: 'DIGEST_MALFORMED' },
      { hour: 4, body: gzipSync(JSON.stringify({ ...document(bucket, keyAt(4), 4, fp), logFiles: 'none' })), signature: 'aa', code: 'DIGEST_MALFORMED' },
      { hour: 5, body: gzipSync(JSON.stringify({ ...document(bucket, keyAt(5), 5, fp), logFiles: [{ s3Bucket: bucket, s3Object: 7, hashValue: 'ab' }] })), signature: 'aa', code: 'DIGEST_MALFORMED' },
      { hour: 6, body: await millionEntryDigest(bucket, keyAt(6), fp), signature: 'aa', code: 'DIGEST_TOO_LARGE' },
      { hour: 7, body: signed(7, document(bucket, keyAt(7), 7, fp)).body, code: 'DIGEST_SIGNATURE_INVALID' }, // no signature metadata
      { hour: 8, ...signed(8, document(bucket, keyAt(8), 8, fp)), signature: 'zz-not-hex', code: 'DIGEST_SIGNATURE_INVALID' },
      { hour: 9, ...signed(9, document(bucket, keyAt(9), 9, 'ffffffffffffffffffffffffffffffff')), code: 'PUBLIC_KEY_UNKNOWN' },
      { hour: 10, ...signed(10, document(bucket, keyAt(10), 10, fp)), code: 'VALID' },
    ];
    for (const c of cases) await uploadDigest(s3, bucket, { key: keyAt(c.hour), body: c.body, signature: c.signature });

    const findings: Finding[] = [];
    let peakRss = 0;
    const baseline = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 10);
    let summary;
    try {
      summary = await validateTrail(s3, { bucket, publicKeys: parsePublicKeys(key.publicKeysJson, 'test keys'), onFinding: (f) => void findings.push(f) });
    } finally {
      clearInterval(sampler);
    }
    expect(findings.map((f) => ({ code: f.code, key: f.key })).sort((a, b) => a.key.localeCompare(b.key))).toEqual(
      cases.filter((c) => c.code !== 'VALID').map((c) => ({ code: c.code, key: keyAt(c.hour) })),
    );
    expect(findings.find((f) => f.key === keyAt(1))?.message).toBe('not gzip-compressed');
    expect(findings.find((f) => f.key === keyAt(2))?.message).toMatch(/^not JSON/);
    expect(findings.find((f) => f.key === keyAt(3))?.message).toMatch(/^digestEndTime: /);
    expect(findings.find((f) => f.key === keyAt(4))?.message).toMatch(/^logFiles: /);
    expect(findings.find((f) => f.key === keyAt(5))?.message).toMatch(/^logFiles\.0\.s3Object: /);
    expect(findings.find((f) => f.key === keyAt(6))?.message).toMatch(/over the digest size cap \(--max-digest-bytes\)/);
    expect(findings.find((f) => f.key === keyAt(7))?.message).toBe('the object has no signature metadata');
    expect(summary.digestFiles).toEqual({ total: cases.length, valid: 1, invalid: cases.length - 1 });
    // the million-entry digest is ~300 MB of JSON; reading stops at the 16 MiB cap
    expect(peakRss - baseline).toBeLessThan(150 * 1024 * 1024);
  });

  it('refuses a digest over --max-digest-bytes with DIGEST_TOO_LARGE and its key, and validates it under a higher cap', async () => {
    const key = makeSigningKey();
    const other = await createBucket(s3, uniqueBucketName('ts-digests-cap'));
    try {
      const doc = document(other, keyAt(12), 12, key.fingerprint);
      const text = Buffer.from(JSON.stringify(doc));
      await uploadDigest(s3, other, { key: keyAt(12), body: gzipSync(text), signature: signDigest(doc as never, text, key.privateKey) });
      const keys = parsePublicKeys(key.publicKeysJson, 'test keys');
      const found: Finding[] = [];
      const small = await validateTrail(s3, { bucket: other, publicKeys: keys, maxDigestBytes: text.length - 1, onFinding: (f) => void found.push(f) });
      expect(found.map((f) => ({ code: f.code, key: f.key }))).toEqual([{ code: 'DIGEST_TOO_LARGE', key: keyAt(12) }]);
      expect(found[0]?.message).toContain(`more than ${text.length - 1} bytes uncompressed`);
      expect(small.valid).toBe(false);
      const enough = await validateTrail(s3, { bucket: other, publicKeys: keys, maxDigestBytes: text.length, onFinding: (f) => void found.push(f) });
      expect(enough.valid).toBe(true);
      expect(found).toHaveLength(1);
    } finally {
      await deleteBucket(s3, other).catch(() => undefined);
    }
  });
});
