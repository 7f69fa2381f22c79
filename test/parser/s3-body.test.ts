import { gzipSync } from 'node:zlib';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { logSourceFor, parseLogFile, type ParsedItem } from '@trailscope/parser';
import { createS3Client } from '@trailscope/runtime';
import { createBucket, deleteBucket, makeConfig, uniqueBucketName, uniqueNamespace } from '../support/env';

/** Records with escapes, raw multi-byte text and number spellings that a re-serialization would change. */
function recordText(i: number): string {
  const pad = 'x'.repeat(i % 3000);
  return (
    `{"eventVersion":"1.08","eventID":"e-${i}","eventTime":"2026-03-01T00:00:${String(i % 60).padStart(2, '0')}Z",` +
    `"eventSource":"kms.amazonaws.com","eventName":"Decrypt","requestParameters":{"n":${i}.0,"e":1e${i % 9},` +
    `"s":"caf\\u00e9 \\"q\\" \\\\ 日本語 😀 ${pad}"},"recipientAccountId":"123456789012"}`
  );
}

describe('parseLogFile over a real S3 GetObject body', () => {
  const bucket = uniqueBucketName('ts-parser');
  const config = makeConfig(uniqueNamespace('t-parser'));
  let s3: S3Client;

  beforeAll(async () => {
    s3 = createS3Client(config);
    await createBucket(s3, bucket);
  });
  afterAll(async () => {
    await deleteBucket(s3, bucket);
    s3.destroy();
  });

  it('yields every record with its original text byte for byte from the streamed body', async () => {
    const key = 'AWSLogs/123456789012/CloudTrail/eu-west-1/2026/03/01/123456789012_CloudTrail_eu-west-1_20260301T0005Z_abcdefabcdef0123.json.gz';
    const texts = Array.from({ length: 2000 }, (_, i) => recordText(i));
    const file = Buffer.from(`{"Records":[${texts.join(',')}],"extra":{"Records":"not these"}}`, 'utf8');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: gzipSync(file) }));

    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const items: ParsedItem[] = [];
    for await (const item of parseLogFile(res.Body as AsyncIterable<Uint8Array>, logSourceFor(bucket, key, res.ETag ?? ''))) items.push(item);

    expect(items).toHaveLength(texts.length);
    items.forEach((item, i) => {
      if (!item.ok) throw new Error(`record ${i} rejected: ${item.reason}`);
      expect(Buffer.from(item.doc.raw, 'utf8').equals(Buffer.from(texts[i] as string, 'utf8'))).toBe(true);
      expect(item.id).toBe(`e-${i}`);
      expect(item.doc.region).toBe('eu-west-1');
    });
  });

  it('fails a truncated object with GZIP_TRUNCATED naming its S3 URL', async () => {
    const key = 'AWSLogs/123456789012/CloudTrail/eu-west-1/2026/03/01/123456789012_CloudTrail_eu-west-1_20260301T0010Z_abcdefabcdef0124.json.gz';
    const gz = gzipSync(Buffer.from(`{"Records":[${recordText(1)},${recordText(2)}]}`));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: gz.subarray(0, gz.length - 20) }));
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const failure = await (async () => {
      try {
        for await (const _ of parseLogFile(res.Body as AsyncIterable<Uint8Array>, logSourceFor(bucket, key, 'e'))) void _;
      } catch (err) {
        return err as { code?: string; message: string };
      }
      return undefined;
    })();
    expect(failure?.code).toBe('GZIP_TRUNCATED');
    expect(failure?.message).toContain(`s3://${bucket}/${key}`);
  });
});
