import type { S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { discoverStreams, listPages, type LogStream } from '@trailscope/s3';
import type { Finding, FindingCode } from './finding';
import { logFileStampMs, parseDigestKey } from './digest-key';
import type { PublicKeys } from './public-keys';
import { readDigest } from './read-digest';
import { verifyDigestSignature } from './signature';
import { hashLogFile } from './hash-log-file';
import { hashOddity, sha256Hex } from './sha256-hex';
import type { DigestLogFile } from './digest-document';
import type { ValidationSummary } from './validation-summary';
import { IndexCheck, ledgerEntriesUnder, type IndexTarget } from '../ledger/index-check';
import { objectExists } from '../io/object-exists';

export interface ValidateTrailOptions {
  bucket: string;
  prefix?: string;
  accounts?: string[];
  regions?: string[];
  /** Digests delivered in [fromMs, toMs] (by the time in their key); the whole history without `fromMs`. */
  fromMs?: number;
  toMs?: number;
  publicKeys: PublicKeys;
  /** Log files fetched and hashed at once. */
  concurrency?: number;
  /** Cap on a digest's uncompressed size; a larger one is DIGEST_TOO_LARGE. */
  maxDigestBytes?: number;
  /** Called once per finding, awaited (so a writer's backpressure reaches the walk). */
  onFinding: (finding: Finding) => void | Promise<void>;
  nowMs?: number;
  /**
   * Also prove the index complete (`validate --index`): every log file a valid digest lists is in the file ledger
   * with the same hash and all its records accounted for, and every ledger file inside a validated window is still
   * in S3 or listed by a digest.
   */
  index?: IndexTarget;
}

export const DEFAULT_VALIDATE_CONCURRENCY = 16;
/** 16 MiB: about 40,000 log files for one hour of one region, far above what CloudTrail writes. */
export const DEFAULT_MAX_DIGEST_BYTES = 16 * 1024 * 1024;
/**
 * A log file is named after the minute it was started and delivered a few minutes later, into the digest window
 * current then. Only a file whose name time plus this margin lies inside validated windows is known to belong to
 * one of them, so only such a file can be called unlisted; files at the newest window's edge are left alone.
 */
export const UNLISTED_MARGIN_MS = 15 * 60_000;
const STREAM_CONCURRENCY = 4;

interface Target {
  bucket: string;
  key: string;
  stampMs: number;
}

/** What a digest's successor says about it. */
interface Link {
  hash: string | null | undefined;
  signature: string;
  fromKey: string;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
const dayPath = (ms: number) => iso(ms).slice(0, 10).replace(/-/g, '/');

/** Merged, sorted [start, end] windows, with a membership test for a whole interval. */
function windowSet() {
  const raw: Array<[number, number]> = [];
  let merged: Array<[number, number]> | undefined;
  const build = () => {
    const sorted = [...raw].sort((a, b) => a[0] - b[0]);
    const out: Array<[number, number]> = [];
    // consecutive digests share their boundary second; a second of slack joins them
    for (const w of sorted) {
      const last = out[out.length - 1];
      if (last && w[0] <= last[1] + 1000) last[1] = Math.max(last[1], w[1]);
      else out.push([w[0], w[1]]);
    }
    return out;
  };
  return {
    add(start: number, end: number) {
      raw.push([start, end]);
      merged = undefined;
    },
    get size() {
      return raw.length;
    },
    bounds(): [number, number] | undefined {
      merged ??= build();
      const first = merged[0];
      const last = merged[merged.length - 1];
      return first && last ? [first[0], last[1]] : undefined;
    },
    covers(start: number, end: number): boolean {
      merged ??= build();
      let lo = 0;
      let hi = merged.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const w = merged[mid] as [number, number];
        if (start < w[0]) hi = mid - 1;
        else if (start > w[1]) lo = mid + 1;
        else return end <= w[1];
      }
      return false;
    },
  };
}

/**
 * `aws cloudtrail validate-logs` for every account and region of a bucket at once. Each digest chain (one per
 * trail and region) is walked back from its newest digest in range along previousDigestS3Object: every digest's
 * signature is verified and its hash checked against what its successor recorded, and every log file a verified
 * digest lists is fetched and hashed, many at once. Then each account/region's log files delivered inside the
 * verified windows are listed, and the ones no digest lists are reported.
 *
 * Memory: one digest at a time per stream, a bounded queue of log files to hash, and per account/region the set of
 * keys its digests list (needed to tell an unlisted file from a listed one).
 */
export async function validateTrail(s3: S3Client, options: ValidateTrailOptions): Promise<ValidationSummary> {
  const { bucket } = options;
  const toMs = options.toMs ?? options.nowMs ?? Date.now();
  const fromMs = options.fromMs;
  const maxDigestBytes = options.maxDigestBytes ?? DEFAULT_MAX_DIGEST_BYTES;
  const concurrency = options.concurrency ?? DEFAULT_VALIDATE_CONCURRENCY;
  const fileLimit = pLimit(concurrency);
  const inFlight = new Set<Promise<void>>();
  const maxQueued = concurrency * 8;

  const summary: ValidationSummary = {
    requestedTo: iso(toMs),
    streams: 0,
    chains: 0,
    digestFiles: { total: 0, valid: 0, invalid: 0 },
    logFiles: { total: 0, valid: 0, invalid: 0 },
    unlistedLogFiles: 0,
    findings: {},
    valid: true,
  };
  if (fromMs !== undefined) summary.requestedFrom = iso(fromMs);
  let foundFrom = Number.POSITIVE_INFINITY;
  let foundTo = Number.NEGATIVE_INFINITY;

  const indexCheck = options.index ? new IndexCheck(options.index, (f) => report(f)) : undefined;
  if (indexCheck) {
    await indexCheck.prepare();
    summary.index = { checked: 0, indexed: 0, ledgerFilesMissing: 0 };
  }

  const report = async (finding: Finding) => {
    summary.findings[finding.code] = (summary.findings[finding.code] ?? 0) + 1;
    summary.valid = false;
    await options.onFinding(finding);
  };

  // A failing GET (S3 down, access denied) ends the run; queued checks then settle quietly before it is thrown.
  let failure: { err: unknown } | undefined;
  const schedule = async (task: () => Promise<void>) => {
    if (failure) throw failure.err;
    while (fileLimit.pendingCount >= maxQueued) await Promise.race(inFlight);
    const p: Promise<void> = fileLimit(task)
      .catch((err: unknown) => {
        failure ??= { err };
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };

  const checkLogFile = async (entry: DigestLogFile, digestKey: string, stream: LogStream) => {
    const where = { bucket: entry.s3Bucket, key: entry.s3Object, digestKey, account: stream.account, region: stream.region };
    const result = await hashLogFile(s3, entry.s3Bucket, entry.s3Object);
    const expected = sha256Hex(entry.hashValue) ?? entry.hashValue.toLowerCase();
    if (indexCheck) {
      await indexCheck.add({ ...where, expected, ...(result.status === 'hashed' ? { s3Sha256: result.sha256 } : {}) });
    }
    if (result.status === 'missing') {
      summary.logFiles.invalid += 1;
      await report({ code: 'LOG_FILE_MISSING', ...where, message: `listed in its digest, not in S3` });
    } else if (result.status === 'unreadable') {
      summary.logFiles.invalid += 1;
      await report({ code: 'LOG_FILE_MODIFIED', ...where, expected, message: `${result.reason}, while its digest lists the hash of its content` });
    } else if (result.sha256 !== expected) {
      summary.logFiles.invalid += 1;
      await report({ code: 'LOG_FILE_MODIFIED', ...where, expected, actual: result.sha256, message: `SHA-256 of the uncompressed content differs from the hash in its digest${hashOddity('hashValue', entry.hashValue)}` });
    } else {
      summary.logFiles.valid += 1;
    }
  };

  const validateStream = async (stream: LogStream) => {
    const listed = new Set<string>();
    const windows = windowSet();
    const chains = await listChains(s3, bucket, stream, fromMs, toMs);
    summary.streams += 1;
    for (const chain of chains.values()) {
      summary.chains += 1;
      await walkChain(chain, stream, listed, windows);
    }
    await findUnlisted(stream, listed, windows);
    if (options.index) await findLedgerFilesGone(options.index, stream, listed, windows);
  };

  const walkChain = async (entries: Target[], stream: LogStream, listed: Set<string>, windows: ReturnType<typeof windowSet>) => {
    const visited = new Set<string>();
    const id = (t: Target) => `${t.bucket}/${t.key}`;
    let i = entries.length - 1;
    let current: Target | undefined = entries[i];
    let link: Link | undefined;
    while (current) {
      visited.add(id(current));
      const next = await checkDigest(current, link, stream, listed, windows);
      const boundMs = next.prev?.stampMs ?? next.boundMs;
      if (boundMs !== undefined) {
        // listed digests between this one and the one it names as previous are linked by no digest
        while (i >= 0 && (entries[i] as Target).stampMs > boundMs) {
          const skipped = entries[i] as Target;
          i -= 1;
          if (visited.has(id(skipped))) continue;
          visited.add(id(skipped));
          summary.digestFiles.total += 1;
          summary.digestFiles.invalid += 1;
          await report({
            code: 'CHAIN_BROKEN',
            bucket: skipped.bucket,
            key: skipped.key,
            digestKey: current.key,
            account: stream.account,
            region: stream.region,
            message: `linked by no digest: ${current.key} names ${next.prev?.key ?? 'an older digest'} as its previous digest`,
          });
        }
      }
      if (next.prev && !visited.has(id(next.prev))) {
        current = next.prev;
        link = next.link;
      } else {
        // no link to follow (first digest of a chain, or unreadable): the next older digest listed starts anew
        while (i >= 0 && visited.has(id(entries[i] as Target))) i -= 1;
        current = i >= 0 ? entries[i] : undefined;
        link = undefined;
      }
    }
  };

  const checkDigest = async (
    target: Target,
    link: Link | undefined,
    stream: LogStream,
    listed: Set<string>,
    windows: ReturnType<typeof windowSet>,
  ): Promise<{ prev?: Target; link?: Link; boundMs?: number }> => {
    const where = { bucket: target.bucket, key: target.key, account: stream.account, region: stream.region };
    const linkedFrom = link ? { digestKey: link.fromKey } : {};
    summary.digestFiles.total += 1;
    const read = await readDigest(s3, target.bucket, target.key, maxDigestBytes);
    const fail = async (code: FindingCode, message: string, extra: Partial<Finding> = {}) => {
      summary.digestFiles.invalid += 1;
      await report({ code, ...where, ...linkedFrom, message, ...extra });
    };
    if (read.status === 'missing') {
      await fail('DIGEST_MISSING', link ? `named as previous digest by ${link.fromKey}, not in S3` : 'listed, then gone from S3');
      return {};
    }
    if (read.status === 'too-large') {
      await fail('DIGEST_TOO_LARGE', read.reason);
      return {};
    }
    if (read.status === 'malformed') {
      await fail('DIGEST_MALFORMED', read.reason);
      return {};
    }
    const doc = read.document;
    for (const f of doc.logFiles) listed.add(`${f.s3Bucket}/${f.s3Object}`);

    let signatureProblem: { code: FindingCode; message: string } | undefined;
    if (read.signature === undefined || read.signature === '') {
      signatureProblem = { code: 'DIGEST_SIGNATURE_INVALID', message: 'the object has no signature metadata' };
    } else if (doc.digestSignatureAlgorithm !== 'SHA256withRSA') {
      signatureProblem = { code: 'DIGEST_SIGNATURE_INVALID', message: `unsupported digestSignatureAlgorithm ${JSON.stringify(doc.digestSignatureAlgorithm)}` };
    } else {
      const key = options.publicKeys.get(doc.digestPublicKeyFingerprint.toLowerCase());
      if (!key) signatureProblem = { code: 'PUBLIC_KEY_UNKNOWN', message: `no public key with fingerprint ${doc.digestPublicKeyFingerprint}` };
      else if (!verifyDigestSignature(doc, read.sha256, read.signature, key)) {
        signatureProblem = { code: 'DIGEST_SIGNATURE_INVALID', message: 'the RSA signature does not verify (PKCS#1 v1.5, SHA-256)' };
      }
    }
    const signed = signatureProblem === undefined;

    let prev: { target: Target; link: Link } | undefined;
    let prevProblem: string | undefined;
    if (doc.previousDigestS3Object && doc.previousDigestSignature) {
      const prevInfo = parseDigestKey(doc.previousDigestS3Object);
      if (!prevInfo || prevInfo.stampMs >= target.stampMs) {
        prevProblem = `previousDigestS3Object ${JSON.stringify(doc.previousDigestS3Object)} is not an older digest file`;
      } else {
        prev = {
          target: { bucket: doc.previousDigestS3Bucket || target.bucket, key: doc.previousDigestS3Object, stampMs: prevInfo.stampMs },
          link: { hash: doc.previousDigestHashValue, signature: doc.previousDigestSignature, fromKey: target.key },
        };
      }
    }

    // one finding per digest, the strongest: a changed digest also fails its signature
    if (link && (sha256Hex(link.hash) ?? '') !== read.sha256) {
      const also = signatureProblem ? `; also: ${signatureProblem.message}` : '';
      const odd = hashOddity('previousDigestHashValue', link.hash);
      await fail('DIGEST_MODIFIED', `SHA-256 differs from previousDigestHashValue in ${link.fromKey}${odd}${also}`, { expected: (link.hash ?? '').toLowerCase(), actual: read.sha256 });
    } else if (signatureProblem) {
      await fail(signatureProblem.code, signatureProblem.message);
    } else if (link && link.signature.toLowerCase() !== (read.signature as string).toLowerCase()) {
      await fail('CHAIN_BROKEN', `signature differs from previousDigestSignature in ${link.fromKey}`);
    } else if (doc.digestS3Bucket !== target.bucket || doc.digestS3Object !== target.key) {
      await fail('CHAIN_BROKEN', `the digest says it was written to s3://${doc.digestS3Bucket}/${doc.digestS3Object}`);
    } else if (prevProblem) {
      await fail('CHAIN_BROKEN', prevProblem);
    } else {
      summary.digestFiles.valid += 1;
    }

    if (signed) {
      const start = Date.parse(doc.digestStartTime);
      const end = Date.parse(doc.digestEndTime);
      windows.add(start, end);
      foundFrom = Math.min(foundFrom, start);
      foundTo = Math.max(foundTo, end);
      for (const entry of doc.logFiles) {
        summary.logFiles.total += 1;
        await schedule(() => checkLogFile(entry, target.key, stream));
      }
    }

    if (!prev) return {};
    // the walk ends at the range's start; what lies before was not asked for
    if (fromMs !== undefined && prev.target.stampMs < fromMs) return { boundMs: prev.target.stampMs };
    return { prev: prev.target, link: prev.link };
  };

  const findUnlisted = async (stream: LogStream, listed: Set<string>, windows: ReturnType<typeof windowSet>) => {
    const bounds = windows.bounds();
    if (!bounds) return;
    const root = stream.root.replace(/\/CloudTrail-Digest\/([^/]+)\/$/, '/CloudTrail/$1/');
    for await (const key of keysByDay(s3, bucket, root, bounds[0], bounds[1])) {
      const stamp = logFileStampMs(key);
      if (stamp === undefined || !windows.covers(stamp, stamp + UNLISTED_MARGIN_MS)) continue;
      if (listed.has(`${bucket}/${key}`)) continue;
      summary.unlistedLogFiles += 1;
      await report({
        code: 'LOG_FILE_UNLISTED',
        bucket,
        key,
        account: stream.account,
        region: stream.region,
        message: 'in S3 within a validated digest window, listed by no digest',
      });
    }
  };

  const findLedgerFilesGone = async (target: IndexTarget, stream: LogStream, listed: Set<string>, windows: ReturnType<typeof windowSet>) => {
    if (!windows.bounds()) return;
    const root = stream.root.replace(/\/CloudTrail-Digest\/([^/]+)\/$/, '/CloudTrail/$1/');
    for await (const entry of ledgerEntriesUnder(target, bucket, root)) {
      // a listed file's absence is LOG_FILE_MISSING already; one present in S3 and unlisted is LOG_FILE_UNLISTED
      if (listed.has(`${entry.bucket}/${entry.key}`)) continue;
      const stamp = logFileStampMs(entry.key);
      if (stamp === undefined || !windows.covers(stamp, stamp + UNLISTED_MARGIN_MS)) continue;
      if (await objectExists(s3, entry.bucket, entry.key)) continue;
      if (summary.index) summary.index.ledgerFilesMissing += 1;
      await report({
        code: 'INDEXED_FILE_MISSING',
        bucket: entry.bucket,
        key: entry.key,
        account: stream.account,
        region: stream.region,
        message: `in the file ledger (etag ${entry.etag}, ingested ${entry.ingestedAt}) within a validated digest window, no longer in S3 and listed by no digest`,
      });
    }
  };

  const { streams } = await discoverStreams(s3, {
    bucket,
    prefix: options.prefix,
    accounts: options.accounts,
    regions: options.regions,
    kinds: ['digest'],
  });
  const streamLimit = pLimit(STREAM_CONCURRENCY);
  try {
    await Promise.all(streams.map((s) => streamLimit(() => validateStream(s))));
  } finally {
    while (inFlight.size > 0) await Promise.all(inFlight);
  }
  if (failure) throw failure.err;
  if (indexCheck && summary.index) {
    await indexCheck.flush();
    summary.index.checked = indexCheck.checked;
    summary.index.indexed = indexCheck.indexed;
  }

  if (foundFrom <= foundTo) {
    summary.foundFrom = iso(foundFrom);
    summary.foundTo = iso(foundTo);
  }
  return summary;
}

/** Keys of a stream folder in the day folders from `fromMs`'s day to `toMs`'s day, as one paged listing. */
async function* keysByDay(s3: S3Client, bucket: string, root: string, fromMs: number | undefined, toMs: number): AsyncGenerator<string> {
  const lastDay = dayPath(toMs);
  const startAfter = fromMs === undefined ? undefined : `${root}${dayPath(fromMs)}`;
  for await (const page of listPages(s3, { bucket, prefix: root, startAfter })) {
    for (const o of page.objects) {
      const day = o.key.slice(root.length, root.length + 10);
      if (/^\d{4}\/\d{2}\/\d{2}$/.test(day) && day > lastDay) return;
      yield o.key;
    }
  }
}

/** The digests of one account/region folder in range, by chain (trail and trail region), oldest first. */
async function listChains(s3: S3Client, bucket: string, stream: LogStream, fromMs: number | undefined, toMs: number): Promise<Map<string, Target[]>> {
  const chains = new Map<string, Target[]>();
  for await (const key of keysByDay(s3, bucket, stream.root, fromMs, toMs)) {
    const info = parseDigestKey(key);
    if (!info || info.stampMs > toMs || (fromMs !== undefined && info.stampMs < fromMs)) continue;
    const chain = `${info.trailName}\n${info.trailRegion}`;
    let list = chains.get(chain);
    if (!list) chains.set(chain, (list = []));
    list.push({ bucket, key, stampMs: info.stampMs });
  }
  for (const list of chains.values()) list.sort((a, b) => a.stampMs - b.stampMs || (a.key < b.key ? -1 : 1));
  return chains;
}
