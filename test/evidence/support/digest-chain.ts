/**
 * Builds digest files the way CloudTrail does, for a generated trail: one chain per account/region, one digest an
 * hour listing the log files delivered in that hour, each signed with a test RSA key over the signing string of
 * CloudTrail's documentation (end time, own location, SHA-256 of the uncompressed digest, previous signature).
 * Written from the format description, not from the validator under test.
 */
import { createHash, createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { GeneratedFile } from '@trailscope/fixtures';

export interface TestSigningKey {
  privateKey: KeyObject;
  fingerprint: string;
  /** What `aws cloudtrail list-public-keys` would print for this key. */
  publicKeysJson: string;
}

export function makeSigningKey(): TestSigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const der = publicKey.export({ format: 'der', type: 'pkcs1' });
  const fingerprint = createHash('md5').update(der).digest('hex');
  const publicKeysJson = JSON.stringify({
    PublicKeyList: [{ Value: der.toString('base64'), ValidityStartTime: '2020-01-01T00:00:00Z', ValidityEndTime: '2030-01-01T00:00:00Z', Fingerprint: fingerprint }],
  });
  return { privateKey: createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' })), fingerprint, publicKeysJson };
}

export interface BuiltDigest {
  key: string;
  body: Buffer;
  /** Hex RSA signature: the `signature` metadata. */
  signature: string;
  account: string;
  region: string;
  startMs: number;
  endMs: number;
  /** Keys of the log files it lists. */
  logFiles: string[];
  /** The previousDigestHashValue it holds. */
  previousHash: string | null;
}

const HOUR = 3_600_000;
const pad = (n: number) => String(n).padStart(2, '0');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
function stamp(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
}
function datePath(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}`;
}
/** The delivery minute in a log file's name. */
export function logFileTimeMs(key: string): number {
  const m = /_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[^_/]+\.json\.gz$/.exec(key);
  if (!m) throw new Error(`not a log file key: ${key}`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
}

export function digestKeyFor(p: { prefix?: string; orgId?: string; account: string; region: string; trailName: string; trailRegion: string; endMs: number }): string {
  const root = `${p.prefix ? `${p.prefix}/` : ''}AWSLogs/${p.orgId ? `${p.orgId}/` : ''}${p.account}/`;
  return `${root}CloudTrail-Digest/${p.region}/${datePath(p.endMs)}/${p.account}_CloudTrail-Digest_${p.region}_${p.trailName}_${p.trailRegion}_${stamp(p.endMs)}.json.gz`;
}

/** Signs a digest document as CloudTrail does; `uncompressed` is the exact JSON text stored (gzip-compressed). */
export function signDigest(document: { digestEndTime: string; digestS3Bucket: string; digestS3Object: string; previousDigestSignature: string | null }, uncompressed: Buffer, key: KeyObject): string {
  const contentHash = createHash('sha256').update(uncompressed).digest('hex');
  const signingString = `${document.digestEndTime}\n${document.digestS3Bucket}/${document.digestS3Object}\n${contentHash}\n${document.previousDigestSignature ?? 'null'}`;
  return sign('sha256', Buffer.from(signingString, 'utf8'), key).toString('hex');
}

/**
 * Hourly digest chains from `fromMs` to `toMs` for every account/region of `files`, each log file listed by the
 * digest of the hour it was delivered in (its name's minute plus one minute).
 */
export function buildDigestChains(options: {
  bucket: string;
  files: GeneratedFile[];
  fromMs: number;
  toMs: number;
  key: TestSigningKey;
  trailName?: string;
  trailRegion?: string;
  prefix?: string;
  /** Write previousDigestHashValue without leading zeros (a hash as a number), as some real digests have it. */
  hashWithoutLeadingZeros?: boolean;
}): BuiltDigest[] {
  const trailName = options.trailName ?? 'org-trail';
  const trailRegion = options.trailRegion ?? 'us-east-1';
  const streams = new Map<string, { orgId?: string; account: string; region: string; files: GeneratedFile[] }>();
  for (const f of options.files) {
    const id = `${f.orgId ?? ''}/${f.account}/${f.region}`;
    const s = streams.get(id) ?? { orgId: f.orgId, account: f.account, region: f.region, files: [] };
    s.files.push(f);
    streams.set(id, s);
  }
  const out: BuiltDigest[] = [];
  for (const s of streams.values()) {
    let previous: { key: string; hash: string; signature: string } | undefined;
    for (let start = options.fromMs; start < options.toMs; start += HOUR) {
      const end = start + HOUR;
      const listed = s.files.filter((f) => {
        const delivered = logFileTimeMs(f.key) + 60_000;
        return delivered >= start && delivered < end;
      });
      const key = digestKeyFor({ prefix: options.prefix, orgId: s.orgId, account: s.account, region: s.region, trailName, trailRegion, endMs: end });
      const document = {
        awsAccountId: s.account,
        digestStartTime: iso(start),
        digestEndTime: iso(end),
        digestS3Bucket: options.bucket,
        digestS3Object: key,
        digestPublicKeyFingerprint: options.key.fingerprint,
        digestSignatureAlgorithm: 'SHA256withRSA',
        newestEventTime: iso(end - 60_000),
        oldestEventTime: iso(start),
        previousDigestS3Bucket: previous ? options.bucket : null,
        previousDigestS3Object: previous?.key ?? null,
        previousDigestHashValue: previous ? (options.hashWithoutLeadingZeros ? previous.hash.replace(/^0+/, '') : previous.hash) : null,
        previousDigestHashAlgorithm: previous ? 'SHA-256' : null,
        previousDigestSignature: previous?.signature ?? null,
        logFiles: listed.map((f) => ({
          s3Bucket: options.bucket,
          s3Object: f.key,
          hashValue: createHash("sha256").update(gunzipSync(f.body)).digest("hex"),
          hashAlgorithm: 'SHA-256',
          newestEventTime: iso(end - 60_000),
          oldestEventTime: iso(start),
        })),
      };
      const uncompressed = Buffer.from(JSON.stringify(document), 'utf8');
      const signature = signDigest(document, uncompressed, options.key.privateKey);
      out.push({ key, body: gzipSync(uncompressed), signature, account: s.account, region: s.region, startMs: start, endMs: end, logFiles: listed.map((f) => f.key), previousHash: document.previousDigestHashValue });
      previous = { key, hash: createHash('sha256').update(uncompressed).digest('hex'), signature };
    }
  }
  return out;
}

export async function uploadDigest(s3: S3Client, bucket: string, d: Pick<BuiltDigest, 'key' | 'body'> & { signature?: string }): Promise<void> {
  const Metadata: Record<string, string> = d.signature === undefined ? {} : { signature: d.signature, 'signature-algorithm': 'SHA256withRSA' };
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: d.key, Body: d.body, ContentType: 'application/json', Metadata }));
}

export async function uploadDigests(s3: S3Client, bucket: string, digests: BuiltDigest[], concurrency = 8): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < digests.length) await uploadDigest(s3, bucket, digests[next++] as BuiltDigest);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, digests.length) }, lane));
}
