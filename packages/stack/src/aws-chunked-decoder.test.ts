import { Readable } from 'node:stream';
import type { Transform } from 'node:stream';

// The decoder is plain JavaScript (it runs in the S3 server process straight from bin/).
const { AwsChunkedDecoder } = require('../bin/aws-chunked-decoder.js') as { AwsChunkedDecoder: new () => Transform };

function encode(parts: Buffer[], trailer = 'x-amz-checksum-crc32:AAAAAA==\r\n'): Buffer {
  const framed = parts.flatMap((p) => [Buffer.from(`${p.length.toString(16)};chunk-signature=abc\r\n`), p, Buffer.from('\r\n')]);
  return Buffer.concat([...framed, Buffer.from(`0\r\n${trailer}\r\n`)]);
}

async function decode(wire: Buffer, sliceBytes: number): Promise<Buffer> {
  const slices: Buffer[] = [];
  for (let i = 0; i < wire.length; i += sliceBytes) slices.push(wire.subarray(i, i + sliceBytes));
  const out: Buffer[] = [];
  for await (const chunk of Readable.from(slices).pipe(new AwsChunkedDecoder())) out.push(chunk as Buffer);
  return Buffer.concat(out);
}

describe('AwsChunkedDecoder', () => {
  const payload = [Buffer.from('{"Records":['), Buffer.alloc(70000, 0x61), Buffer.from(']}')];
  const expected = Buffer.concat(payload);

  it.each([1, 2, 3, 7, 1024, 1 << 20])('restores the payload when the wire arrives in %i-byte pieces', async (size) => {
    expect((await decode(encode(payload), size)).equals(expected)).toBe(true);
  });

  it('ignores the checksum trailers after the last chunk', async () => {
    const out = await decode(encode([Buffer.from('abc')], 'x-amz-checksum-sha256:xyz\r\nx-other:1\r\n'), 5);
    expect(out.toString()).toBe('abc');
  });

  it('rejects a body that ends before the terminating chunk', async () => {
    const wire = encode(payload);
    await expect(decode(wire.subarray(0, wire.length - 40), 100)).rejects.toThrow(/ended before its last chunk/);
  });

  it('rejects a size line that is not hexadecimal', async () => {
    await expect(decode(Buffer.from('zz\r\nabc\r\n0\r\n\r\n'), 100)).rejects.toThrow(/invalid aws-chunked size line/);
  });
});
