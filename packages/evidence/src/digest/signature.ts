import { verify, type KeyObject } from 'node:crypto';
import type { DigestDocument } from './digest-document';

/**
 * The string CloudTrail signs for a digest: end time, its own location, the hex SHA-256 of its uncompressed content
 * and the previous digest's signature (the text `null` on the first digest of a chain).
 */
export function digestSigningString(document: DigestDocument, sha256Hex: string): string {
  return `${document.digestEndTime}\n${document.digestS3Bucket}/${document.digestS3Object}\n${sha256Hex}\n${document.previousDigestSignature ?? 'null'}`;
}

const HEX = /^(?:[0-9a-fA-F]{2})+$/;

/** RSA PKCS#1 v1.5 with SHA-256 over the signing string; a signature that is not hex does not verify. */
export function verifyDigestSignature(document: DigestDocument, sha256Hex: string, signatureHex: string, key: KeyObject): boolean {
  if (!HEX.test(signatureHex)) return false;
  try {
    return verify('sha256', Buffer.from(digestSigningString(document, sha256Hex), 'utf8'), key, Buffer.from(signatureHex, 'hex'));
  } catch {
    return false;
  }
}
