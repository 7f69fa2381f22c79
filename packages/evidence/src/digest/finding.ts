/**
 * What `validate` can find wrong with a trail, one code per kind of evidence. These are findings about the bucket,
 * not errors of trailscope: a run that reports them has worked, and exits 1 to say the trail is not intact.
 */
export const FINDING_CODES = {
  DIGEST_MISSING: 'a digest file named by its successor (previousDigestS3Object) is not in S3',
  DIGEST_SIGNATURE_INVALID: 'the digest file has no signature metadata, or its RSA signature does not verify',
  DIGEST_MODIFIED: "the digest file's SHA-256 differs from previousDigestHashValue in its successor",
  DIGEST_MALFORMED: 'the digest file is not gzip, not JSON, or lacks a field of the digest format',
  DIGEST_TOO_LARGE: 'the digest file is over the size cap (--max-digest-bytes, 16 MiB uncompressed by default) and was not read further',
  CHAIN_BROKEN: 'the digest files do not link up: a signature or location differs from what the chain says, or a digest is linked by none',
  LOG_FILE_MODIFIED: "a log file's SHA-256 of its uncompressed content differs from the hash its digest lists",
  LOG_FILE_MISSING: 'a log file listed in a valid digest is not in S3',
  LOG_FILE_UNLISTED: 'a log file in S3 was delivered during a validated digest window but is listed by no digest',
  PUBLIC_KEY_UNKNOWN: "no public key with the digest's digestPublicKeyFingerprint was given or returned by ListPublicKeys",
  LOG_FILE_NOT_INDEXED: '(--index) a log file a valid digest lists is not in the file ledger: its events were never indexed',
  LOG_FILE_CHANGED_SINCE_INDEXED:
    '(--index) the file ledger holds another SHA-256 than the digest lists (what was indexed is not what CloudTrail delivered), or the object in S3 changed after it was indexed',
  LOG_FILE_PARTIALLY_INDEXED:
    '(--index) the file was indexed with the hash its digest lists, but not all its records are accounted for, it failed, or the event indices hold fewer of its documents than the ledger says were created',
  INDEXED_FILE_MISSING: '(--index) a file in the ledger, named inside a validated digest window, is no longer in S3 and is listed by no digest',
} as const;

export type FindingCode = keyof typeof FINDING_CODES;

export interface Finding {
  code: FindingCode;
  /** The S3 key of the object the finding is about. */
  key: string;
  bucket: string;
  message: string;
  /** The digest that listed or linked the object, when the object is not itself that digest. */
  digestKey?: string;
  account?: string;
  region?: string;
  expected?: string;
  actual?: string;
}
