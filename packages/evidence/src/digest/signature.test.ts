import { generateKeyPairSync, sign } from 'node:crypto';
import { parseDigestDocument } from './digest-document';
import { digestSigningString, verifyDigestSignature } from './signature';

const doc = {
  awsAccountId: '123456789012',
  digestStartTime: '2026-03-01T00:36:49Z',
  digestEndTime: '2026-03-01T01:36:49Z',
  digestS3Bucket: 'trail-bucket',
  digestS3Object: 'AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2026/03/01/123456789012_CloudTrail-Digest_us-east-1_t_us-east-1_20260301T013649Z.json.gz',
  digestPublicKeyFingerprint: 'ab',
  digestSignatureAlgorithm: 'SHA256withRSA',
  previousDigestSignature: null,
  logFiles: [],
};

describe('digest signatures', () => {
  it('sign end time, own location, content hash and previous signature (null on a first digest)', () => {
    const parsed = parseDigestDocument(doc);
    if (!('digest' in parsed)) throw new Error(parsed.reason);
    expect(digestSigningString(parsed.digest, 'c0ffee')).toBe(`2026-03-01T01:36:49Z\ntrail-bucket/${doc.digestS3Object}\nc0ffee\nnull`);
    const withPrevious = parseDigestDocument({ ...doc, previousDigestSignature: 'dead' });
    if (!('digest' in withPrevious)) throw new Error(withPrevious.reason);
    expect(digestSigningString(withPrevious.digest, 'c0ffee').endsWith('\nc0ffee\ndead')).toBe(true);
  });

  it('verify RSA PKCS#1 v1.5 SHA-256 and refuse another key, another hash or a signature that is not hex', () => {
    const parsed = parseDigestDocument(doc);
    if (!('digest' in parsed)) throw new Error(parsed.reason);
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const other = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    const signature = sign('sha256', Buffer.from(digestSigningString(parsed.digest, 'aa')), privateKey).toString('hex');
    expect(verifyDigestSignature(parsed.digest, 'aa', signature, publicKey)).toBe(true);
    expect(verifyDigestSignature(parsed.digest, 'aa', signature.toUpperCase(), publicKey)).toBe(true);
    expect(verifyDigestSignature(parsed.digest, 'ab', signature, publicKey)).toBe(false);
    expect(verifyDigestSignature(parsed.digest, 'aa', signature, other)).toBe(false);
    expect(verifyDigestSignature(parsed.digest, 'aa', 'not hex', publicKey)).toBe(false);
  });

  it('name the first malformed field of a digest', () => {
    expect(parseDigestDocument({ ...doc, digestEndTime: 5 })).toEqual({ reason: expect.stringMatching(/^digestEndTime: /) });
    expect(parseDigestDocument({ ...doc, digestEndTime: 'soon' })).toEqual({ reason: 'digestEndTime: must be an ISO-8601 time' });
    expect(parseDigestDocument({ ...doc, logFiles: [{ s3Bucket: 'b' }] })).toEqual({ reason: expect.stringMatching(/^logFiles\.0\.s3Object: /) });
  });
});
