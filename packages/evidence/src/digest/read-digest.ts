import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { errorCodeOf, errorMessageOf } from '@trailscope/model';
import { getObject } from '../io/get-object';
import { gunzipChunks } from '../io/gunzip-chunks';
import { parseDigestDocument, type DigestDocument } from './digest-document';

export type DigestRead =
  | { status: 'missing' }
  | { status: 'malformed'; reason: string }
  | { status: 'too-large'; reason: string }
  | {
      status: 'read';
      document: DigestDocument;
      /** Hex SHA-256 of the uncompressed content: what the successor's previousDigestHashValue must be. */
      sha256: string;
      /** The `signature` metadata (hex), absent when the object has none. */
      signature?: string;
      signatureAlgorithm?: string;
    };

/**
 * Fetches and parses one digest file, all of it untrusted: the uncompressed content is capped at `maxDigestBytes`
 * and then parsed whole; everything wrong with it is a reason, never an exception, except S3 failing.
 *
 * Why a bound rather than a streaming parse: the digest's signature covers its whole content, and which log files
 * may be trusted is known only once it is verified, so a stream would have to hold (or read twice) the list anyway,
 * and the walk keeps every listed key of a stream to tell unlisted files apart. A digest lists one hour of one
 * region of one account, ~300 bytes a log file: the default 16 MiB is ~55,000 files in that hour, about 900 a
 * minute, far above CloudTrail's delivery rate (a file every few minutes per region). A larger one is reported as
 * DIGEST_TOO_LARGE with its key and never read further; `--max-digest-bytes` raises the cap for a trail that needs it.
 */
export async function readDigest(s3: S3Client, bucket: string, key: string, maxDigestBytes: number): Promise<DigestRead> {
  const object = await getObject(s3, bucket, key);
  if (!object) return { status: 'missing' };
  if (object.size !== undefined && object.size > maxDigestBytes) {
    object.body.destroy();
    return { status: 'too-large', reason: `${object.size} bytes compressed, over the digest size cap of ${maxDigestBytes} bytes (--max-digest-bytes): not read; raise the cap to validate it` };
  }
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  let bytes = 0;
  try {
    for await (const chunk of gunzipChunks(object.body, bucket, key)) {
      bytes += chunk.length;
      if (bytes > maxDigestBytes) {
        return { status: 'too-large', reason: `more than ${maxDigestBytes} bytes uncompressed, over the digest size cap (--max-digest-bytes): read no further; raise the cap to validate it` };
      }
      hash.update(chunk);
      chunks.push(chunk);
    }
  } catch (err) {
    const code = errorCodeOf(err);
    if (code === 'NOT_GZIP' || code === 'GZIP_TRUNCATED') return { status: 'malformed', reason: code === 'NOT_GZIP' ? 'not gzip-compressed' : 'gzip stream is truncated' };
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.concat(chunks, bytes).toString('utf8'));
  } catch (err) {
    return { status: 'malformed', reason: `not JSON (${errorMessageOf(err)})` };
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return { status: 'malformed', reason: 'not a JSON object' };
  const parsed = parseDigestDocument(json);
  if ('reason' in parsed) return { status: 'malformed', reason: parsed.reason };
  const read: DigestRead = { status: 'read', document: parsed.digest, sha256: hash.digest('hex') };
  if (object.metadata.signature !== undefined) read.signature = object.metadata.signature;
  if (object.metadata['signature-algorithm'] !== undefined) read.signatureAlgorithm = object.metadata['signature-algorithm'];
  return read;
}
