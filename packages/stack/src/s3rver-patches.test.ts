/**
 * Each s3rver patch against a real s3rver in this process: what S3 does, and what unpatched s3rver gets wrong (so
 * a patch that stops applying, e.g. after an s3rver upgrade, fails here). The continuation-token need (OpenSSL's
 * legacy provider) is exercised by the stack suite, whose S3 server runs with S3RVER_NODE_FLAGS.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

const S3rver = require('s3rver') as new (options: Record<string, unknown>) => { run(): Promise<{ port: number }>; close(): Promise<void> };
const { patchS3rver, S3RVER_NODE_FLAGS } = require('../bin/s3rver-patches.js') as { patchS3rver: <T>(server: T) => T; S3RVER_NODE_FLAGS: string[] };

interface Running {
  s3: S3Client;
  stop: () => Promise<void>;
}

async function start(patched: boolean): Promise<Running> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'trailscope-s3rver-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', directory, silent: true });
  if (patched) patchS3rver(server);
  const { port } = await server.run();
  const s3 = new S3Client({
    endpoint: `http://127.0.0.1:${port}`,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  const stop = async () => {
    s3.destroy();
    await server.close();
    fs.rmSync(directory, { recursive: true, force: true });
  };
  try {
    await s3.send(new CreateBucketCommand({ Bucket: 'trail' }));
  } catch (err) {
    await stop();
    throw err;
  }
  return { s3, stop };
}

async function bytesOf(s3: S3Client, Key: string): Promise<Buffer> {
  const got = await s3.send(new GetObjectCommand({ Bucket: 'trail', Key }));
  return Buffer.from(await (got.Body as { transformToByteArray: () => Promise<Uint8Array> }).transformToByteArray());
}

async function accountFolders(s3: S3Client): Promise<string[]> {
  await s3.send(new PutObjectCommand({ Bucket: 'trail', Key: 'AWSLogs/111111111111/CloudTrail/us-east-1/2026/01/02/a.json.gz', Body: Buffer.from('a') }));
  await s3.send(new PutObjectCommand({ Bucket: 'trail', Key: 'AWSLogs/o-abc/222222222222/CloudTrail/eu-west-1/2026/01/03/b.json.gz', Body: Buffer.from('b') }));
  const res = await s3.send(new ListObjectsV2Command({ Bucket: 'trail', Prefix: 'AWSLogs/', Delimiter: '/' }));
  return (res.CommonPrefixes ?? []).map((p) => p.Prefix as string);
}

const body = randomBytes(200 * 1024 + 3);
const streamed = () => Readable.from(Array.from({ length: Math.ceil(body.length / 16384) }, (_, i) => body.subarray(i * 16384, (i + 1) * 16384)));

describe('patched s3rver', () => {
  let server: Running;
  beforeAll(async () => {
    server = await start(true);
  });
  afterAll(async () => server?.stop());

  it('stores a streamed (aws-chunked) upload byte for byte, with the ETag of the bytes', async () => {
    const put = await server.s3.send(new PutObjectCommand({ Bucket: 'trail', Key: 'streamed', Body: streamed(), ContentLength: body.length }));
    expect((await bytesOf(server.s3, 'streamed')).equals(body)).toBe(true);
    const got = await server.s3.send(new GetObjectCommand({ Bucket: 'trail', Key: 'streamed' }));
    expect(got.ContentEncoding).toBeUndefined();
    expect(got.ETag).toBe(put.ETag);
  });

  it('serves every object in full right after its PUT is acknowledged', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `now/${i}`);
    await Promise.all(
      keys.map(async (Key) => {
        await server.s3.send(new PutObjectCommand({ Bucket: 'trail', Key, Body: streamed(), ContentLength: body.length }));
        expect((await bytesOf(server.s3, Key)).length).toBe(body.length);
      }),
    );
  });

  it('lists the folders of nested keys as common prefixes, as S3 does', async () => {
    expect(await accountFolders(server.s3)).toEqual(['AWSLogs/111111111111/', 'AWSLogs/o-abc/']);
    // StartAfter compares keys: past every key under the first account, only the organization folder is left.
    const after = await server.s3.send(new ListObjectsV2Command({ Bucket: 'trail', Prefix: 'AWSLogs/', Delimiter: '/', StartAfter: 'AWSLogs/2' }));
    expect((after.CommonPrefixes ?? []).map((p) => p.Prefix)).toEqual(['AWSLogs/o-abc/']);
  });

  it('declares the Node flag its continuation tokens need', () => {
    expect(S3RVER_NODE_FLAGS).toEqual(['--openssl-legacy-provider']);
  });
});

describe('unpatched s3rver (what the patches are for)', () => {
  let server: Running;
  beforeAll(async () => {
    server = await start(false);
  });
  afterAll(async () => server?.stop());

  it('keeps the aws-chunked framing in the object bytes', async () => {
    await server.s3.send(new PutObjectCommand({ Bucket: 'trail', Key: 'streamed', Body: streamed(), ContentLength: body.length }));
    expect((await bytesOf(server.s3, 'streamed')).equals(body)).toBe(false);
  });

  it('misses the common prefixes of nested keys', async () => {
    expect(await accountFolders(server.s3)).not.toEqual(['AWSLogs/111111111111/', 'AWSLogs/o-abc/']);
  });
});
