import { z } from 'zod';

const Hex = z.string().max(1024);
const Text = z.string().max(4096);
const Time = z.string().max(64).refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO-8601 time');

const LogFileEntrySchema = z.object({
  s3Bucket: Text.min(1),
  s3Object: Text.min(1),
  hashValue: Hex.min(1),
  hashAlgorithm: Text.optional(),
  newestEventTime: Time.nullish(),
  oldestEventTime: Time.nullish(),
});

/**
 * A digest file as CloudTrail writes it. Only the fields validation reads are required; unknown fields are kept
 * out of the parsed value (they are covered by the signature through the content hash anyway). The previous-digest
 * fields are null on the first digest of a chain.
 */
export const DigestDocumentSchema = z.object({
  awsAccountId: Text,
  digestStartTime: Time,
  digestEndTime: Time,
  digestS3Bucket: Text.min(1),
  digestS3Object: Text.min(1),
  digestPublicKeyFingerprint: Text.min(1),
  digestSignatureAlgorithm: Text,
  newestEventTime: Time.nullish(),
  oldestEventTime: Time.nullish(),
  previousDigestS3Bucket: Text.nullish(),
  previousDigestS3Object: Text.nullish(),
  previousDigestHashValue: Hex.nullish(),
  previousDigestHashAlgorithm: Text.nullish(),
  previousDigestSignature: Hex.nullish(),
  logFiles: z.array(LogFileEntrySchema),
});

export type DigestDocument = z.output<typeof DigestDocumentSchema>;
export type DigestLogFile = DigestDocument['logFiles'][number];

/** The first problem of an untrusted digest document, as `field: reason`; undefined when it is well-formed. */
export function parseDigestDocument(json: unknown): { digest: DigestDocument } | { reason: string } {
  const parsed = DigestDocumentSchema.safeParse(json);
  if (parsed.success) return { digest: parsed.data };
  const issue = parsed.error.issues[0];
  return { reason: `${issue?.path.join('.') || 'document'}: ${issue?.message ?? 'invalid'}` };
}
