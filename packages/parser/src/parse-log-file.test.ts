import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { errorCodeOf, TrailscopeError } from '@trailscope/model';
import { logSourceFor, type LogSource } from './log-source';
import { newParseStats, parseLogFile, parseLogFileBatches, type ParsedItem } from './parse-log-file';

const KEY = 'AWSLogs/o-abcdefghij/111122223333/CloudTrail/eu-west-1/2026/03/01/111122223333_CloudTrail_eu-west-1_20260301T0000Z_abcdefabcdef0123.json.gz';
const SOURCE: LogSource = logSourceFor('trail-bucket', KEY, 'etag-1');
const INGESTED_AT = '2026-03-02T00:00:00.000Z';

const GOOD_1 =
  '{"eventVersion":"1.09","eventID":"11111111-1111-4111-8111-111111111111","eventTime":"2026-03-01T10:00:00Z",' +
  '"eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"10.1.2.3",' +
  '"requestParameters":{"bucketName":"b","size":1.0,"big":1e5,"name":"\\u00e9t\\u00e9 \u00e9t\u00e9 \ud83d\ude00"},"recipientAccountId":"999988887777"}';
const NO_ID =
  '{"eventVersion":"1.0","eventTime":"2026-03-01T11:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances"}';
const NOT_OBJECT = '["not","an","object"]';
const NO_NAME = '{"eventTime":"2026-03-01T11:00:00Z","eventSource":"ec2.amazonaws.com"}';
const BAD_TIME = '{"eventTime":"yesterday","eventSource":"ec2.amazonaws.com","eventName":"X"}';

function logFile(records: string[], extra = ''): Buffer {
  return gzipSync(Buffer.from(`{${extra}"Records":[${records.join(',')}]}`, 'utf8'));
}

/** The bytes as an async iterable in chunks of `size`, like an S3 body. */
function chunked(bytes: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts, { objectMode: false });
}

async function collect(bytes: Buffer | AsyncIterable<Buffer>, options: Parameters<typeof parseLogFile>[2] = {}): Promise<ParsedItem[]> {
  const input = Buffer.isBuffer(bytes) ? chunked(bytes, 7) : bytes;
  const out: ParsedItem[] = [];
  for await (const item of parseLogFile(input, SOURCE, { ingestedAt: INGESTED_AT, ...options })) out.push(item);
  return out;
}

async function failure(bytes: Buffer | AsyncIterable<Buffer>, options: Parameters<typeof parseLogFile>[2] = {}): Promise<{ code: string; message: string }> {
  try {
    await collect(bytes, options);
  } catch (err) {
    return { code: errorCodeOf(err), message: (err as Error).message };
  }
  return { code: 'no error', message: '' };
}

describe('parseLogFile', () => {
  it('yields a document per good record and a rejection per bad one, in order, and goes on after bad records', async () => {
    const items = await collect(logFile([GOOD_1, NOT_OBJECT, NO_NAME, NO_ID, BAD_TIME, '42']));
    expect(items.map((i) => i.ok)).toEqual([true, false, false, true, false, false]);
    const bad = items.filter((i): i is Extract<ParsedItem, { ok: false }> => !i.ok);
    expect(bad.map((b) => b.raw)).toEqual([NOT_OBJECT, NO_NAME, BAD_TIME, '42']);
    expect(bad.every((b) => b.code === 'RECORD_INVALID')).toBe(true);
    expect(bad.map((b) => b.reason)).toEqual([
      'record is an array, not an object',
      'record has no eventName',
      'record eventTime "yesterday" is not a date',
      'record is a number, not an object',
    ]);
  });

  it('keeps each record as the exact bytes of the file, whatever the chunking', async () => {
    const bytes = logFile([GOOD_1, NO_ID], '"x":{"Records":1},');
    for (const size of [1, 2, 3, 64, 1 << 20]) {
      const items = await collect(chunked(bytes, size));
      const raws = items.map((i) => (i.ok ? i.doc.raw : i.raw));
      expect(raws).toEqual([GOOD_1, NO_ID]);
      expect(Buffer.from(raws[0] as string, 'utf8').equals(Buffer.from(GOOD_1, 'utf8'))).toBe(true);
      expect(raws[0]).toContain('"size":1.0,"big":1e5,"name":"\\u00e9t\\u00e9');
    }
  });

  it('uses the eventID as the id, else a stable sha256 of the raw text', async () => {
    const [first, second] = await collect(logFile([GOOD_1, NO_ID]));
    expect(first?.ok && first.id).toBe('11111111-1111-4111-8111-111111111111');
    const expected = `sha256-${createHash('sha256').update(NO_ID, 'utf8').digest('hex')}`;
    expect(second?.ok && second.id).toBe(expected);
    const again = await collect(logFile([NO_ID]));
    expect(again[0]?.ok && again[0].id).toBe(expected);
    expect(second?.ok && second.doc.id).toBe(expected);
  });

  it('fills ingest metadata and the key layout into every document', async () => {
    const [first, second] = await collect(logFile([GOOD_1, NO_ID]));
    if (!first?.ok || !second?.ok) throw new Error('expected documents');
    expect(first.doc.ingest).toEqual({ bucket: 'trail-bucket', key: KEY, etag: 'etag-1', ingestedAt: INGESTED_AT, kind: 'log' });
    expect(first.doc.account).toBe('999988887777');
    expect(second.doc.account).toBe('111122223333');
    expect(second.doc.region).toBe('eu-west-1');
    expect(second.doc.orgId).toBe('o-abcdefghij');
    expect(first.doc.requestParameters).toEqual({ bucketName: 'b', size: 1, big: 100000, name: 'été été 😀' });
  });

  it('accepts a Uint8Array source and updates the stats it is given', async () => {
    const bytes = logFile([GOOD_1, NOT_OBJECT]);
    async function* source() {
      yield new Uint8Array(bytes.subarray(0, 1));
      yield new Uint8Array(bytes.subarray(1));
    }
    const stats = newParseStats();
    const items = [];
    for await (const item of parseLogFile(source(), SOURCE, { stats })) items.push(item);
    expect(items).toHaveLength(2);
    expect(stats).toEqual({ compressedBytes: bytes.length, decompressedBytes: expect.any(Number), records: 1, rejected: 1 });
    expect(stats.decompressedBytes).toBe(Buffer.byteLength(`{"Records":[${GOOD_1},${NOT_OBJECT}]}`, 'utf8'));
  });

  it('reads concatenated gzip members as one file', async () => {
    const text = Buffer.from(`{"Records":[${GOOD_1},${NO_ID}]}`, 'utf8');
    const bytes = Buffer.concat([gzipSync(text.subarray(0, 100)), gzipSync(text.subarray(100))]);
    expect((await collect(bytes)).map((i) => i.ok)).toEqual([true, true]);
  });

  describe('file-level failures carry a code and the S3 URL', () => {
    const url = `s3://trail-bucket/${KEY}`;
    const valid = logFile([GOOD_1, NO_ID]);
    it.each<[string, () => Buffer, string]>([
      ['zero bytes', () => Buffer.alloc(0), 'EMPTY_LOG_FILE'],
      ['a gzip of nothing', () => gzipSync(Buffer.alloc(0)), 'EMPTY_LOG_FILE'],
      ['plain JSON', () => Buffer.from(`{"Records":[${GOOD_1}]}`), 'NOT_GZIP'],
      ['a single byte', () => Buffer.from([0x1f]), 'NOT_GZIP'],
      ['a truncated gzip', () => valid.subarray(0, valid.length - 12), 'GZIP_TRUNCATED'],
      ['a gzip cut after the header', () => valid.subarray(0, 12), 'GZIP_TRUNCATED'],
      ['a corrupt gzip body', () => Buffer.concat([valid.subarray(0, 10), Buffer.alloc(40, 0xff)]), 'GZIP_TRUNCATED'],
      ['invalid JSON', () => gzipSync('this is not json'), 'INVALID_JSON'],
      ['a record that does not parse', () => gzipSync(`{"Records":[${GOOD_1},{"a":tru}]}`), 'INVALID_JSON'],
      ['JSON cut in the middle', () => gzipSync(`{"Records":[${GOOD_1},${NO_ID}`), 'INVALID_JSON'],
      ['an empty object', () => gzipSync('{}'), 'NO_RECORDS_ARRAY'],
      ['an object without Records', () => gzipSync('{"records":[]}'), 'NO_RECORDS_ARRAY'],
      ['Records as an object', () => gzipSync('{"Records":{"a":1}}'), 'RECORDS_NOT_ARRAY'],
    ])('%s -> %s', async (_name, bytes, code) => {
      const f = await failure(bytes());
      expect(f.code).toBe(code);
      expect(f.message).toContain(url);
    });

    it('more decompressed bytes than maxObjectBytes -> OBJECT_TOO_LARGE', async () => {
      const big = logFile(Array.from({ length: 200 }, () => GOOD_1));
      expect((await failure(big, { maxObjectBytes: 10_000 })).code).toBe('OBJECT_TOO_LARGE');
      expect(await collect(big, { maxObjectBytes: 1_000_000 })).toHaveLength(200);
    });
  });

  it('rethrows an error of the source stream unchanged', async () => {
    const cause = new TrailscopeError('S3_UNAVAILABLE', 'connection reset reading s3://trail-bucket/k');
    const bytes = logFile(Array.from({ length: 50 }, () => GOOD_1));
    async function* source() {
      yield bytes.subarray(0, 200);
      throw cause;
    }
    let caught: unknown;
    try {
      await collect(source());
    } catch (err) {
      caught = err;
    }
    expect(caught).toBe(cause);
  });

  it('stops reading the source when the consumer stops early', async () => {
    let finished = false;
    const bytes = logFile(Array.from({ length: 2000 }, () => GOOD_1));
    async function* source() {
      try {
        for (let i = 0; i < bytes.length; i += 512) yield bytes.subarray(i, i + 512);
      } finally {
        finished = true;
      }
    }
    let seen = 0;
    for await (const item of parseLogFile(source(), SOURCE)) {
      if (item.ok) seen++;
      if (seen === 3) break;
    }
    expect(seen).toBe(3);
    await new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + 5000;
      const check = () => (finished ? resolve() : Date.now() > deadline ? reject(new Error('source not closed')) : setImmediate(check));
      check();
    });
  });

  it('finishes a file whose source is slow after a write that filled gunzip (a drain that happened before the next piece)', async () => {
    // Records of random text, so the gzip is far larger than gunzip's write buffer and the first write fills it.
    const records = Array.from({ length: 400 }, (_, i) =>
      GOOD_1.replace('"bucketName":"b"', `"bucketName":"${Array.from({ length: 8 }, (_, k) => createHash('sha256').update(`${i}.${k}`).digest('hex')).join('')}"`),
    );
    const bytes = logFile(records);
    expect(bytes.length).toBeGreaterThan(64 * 1024);
    let seen = 0;
    let allSeen!: () => void;
    const consumerHasEverything = new Promise<void>((resolve) => (allSeen = resolve));
    // Everything but the gzip trailer in one piece; the trailer only once the consumer has every record, i.e. once
    // gunzip has inflated the whole piece and emptied its write buffer (the drain is then long past).
    async function* source() {
      yield bytes.subarray(0, bytes.length - 8);
      await consumerHasEverything;
      await new Promise((r) => setImmediate(r));
      yield bytes.subarray(bytes.length - 8);
    }
    for await (const item of parseLogFile(source(), SOURCE, { ingestedAt: INGESTED_AT })) {
      if (item.ok) seen++;
      if (seen === records.length) allSeen();
    }
    expect(seen).toBe(records.length);
  });

  describe('parseLogFileBatches', () => {
    async function batchesOf(input: AsyncIterable<Buffer>, options: Parameters<typeof parseLogFile>[2] = {}): Promise<ParsedItem[][]> {
      const out: ParsedItem[][] = [];
      for await (const batch of parseLogFileBatches(input, SOURCE, { ingestedAt: INGESTED_AT, ...options })) out.push(batch);
      return out;
    }

    it('yields the same items as parseLogFile, in order, in non-empty batches', async () => {
      const records = Array.from({ length: 3000 }, (_, i) => (i % 7 === 3 ? NO_NAME : i % 2 ? GOOD_1 : NO_ID));
      const bytes = logFile(records);
      for (const size of [7, 4096, 1 << 22]) {
        const batches = await batchesOf(chunked(bytes, size));
        expect(batches.length).toBeGreaterThan(1);
        expect(batches.every((b) => b.length > 0)).toBe(true);
        expect(batches.flat()).toEqual(await collect(chunked(bytes, size)));
      }
      expect((await batchesOf(chunked(bytes, 1 << 22))).flat().map((i) => (i.ok ? i.doc.raw : i.raw))).toEqual(records);
    });

    it('reports a bad record between CloudTrail-separated records as the exact scan would', async () => {
      const bad = '{"eventVersion":"1.09","eventTime":tru}';
      const records = [GOOD_1, GOOD_1, bad, GOOD_1];
      const bytes = gzipSync(`{"Records":[${records.join(',')}]}`);
      let expected = '';
      try {
        JSON.parse(bad);
      } catch (err) {
        expected = `s3://trail-bucket/${KEY} is not valid JSON: record 4 does not parse: ${(err as Error).message}`;
      }
      const items: ParsedItem[] = [];
      let caught: unknown;
      try {
        for await (const batch of parseLogFileBatches(chunked(bytes, 1 << 20), SOURCE)) items.push(...batch);
      } catch (err) {
        caught = err;
      }
      expect(errorCodeOf(caught)).toBe('INVALID_JSON');
      expect((caught as Error).message).toBe(expected);
      expect(items.map((i) => i.ok && i.doc.raw)).toEqual([GOOD_1, GOOD_1]);
    });

    it('counts a batch into the stats before yielding it', async () => {
      const stats = newParseStats();
      const seen: number[] = [];
      for await (const batch of parseLogFileBatches(chunked(logFile([GOOD_1, NO_NAME, NO_ID]), 1 << 20), SOURCE, { stats })) {
        seen.push(batch.length, stats.records, stats.rejected);
      }
      expect(seen).toEqual([3, 2, 1]);
    });

    it('yields the records before a record that does not parse, then throws INVALID_JSON', async () => {
      const bytes = gzipSync(`{"Records":[${GOOD_1},${NO_ID},{"a":tru},${GOOD_1}]}`);
      const items: ParsedItem[] = [];
      await expect(
        (async () => {
          for await (const batch of parseLogFileBatches(chunked(bytes, 1 << 20), SOURCE)) items.push(...batch);
        })(),
      ).rejects.toThrow(/is not valid JSON: record \d+ does not parse/);
      expect(items.map((i) => i.ok && i.id)).toEqual(['11111111-1111-4111-8111-111111111111', expect.stringMatching(/^sha256-/)]);
    });
  });
});
