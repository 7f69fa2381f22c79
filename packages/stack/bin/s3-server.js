#!/usr/bin/env node
'use strict';
/*
 * The S3-compatible server of the local stack: s3rver, run as its own process by `trailscope stack up`.
 * Plain JavaScript so it runs the same from sources (tests) and from the build.
 *
 * Two fixes on top of s3rver 3.7:
 * - current AWS SDKs upload streams with `aws-chunked` content encoding (checksum trailers); s3rver would store
 *   the chunk framing as object bytes, so bodies are decoded here;
 * - s3rver acknowledges a PUT before the object file is flushed, so a GET right after could read a short file;
 *   the write is awaited here.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { Transform } = require('node:stream');
const { pipeline } = require('node:stream/promises');
const { parseArgs } = require('node:util');
const S3rver = require('s3rver');
const { AwsChunkedDecoder } = require('./aws-chunked-decoder');
// s3rver misses CommonPrefixes of nested keys in Delimiter listings, which trailscope's discovery relies on.
const { patchDelimiterListing } = require('./s3rver-delimiter-fix');

const AWS_CHUNKED = Symbol('awsChunked');

function isAwsChunked(headers) {
  const sha = String(headers['x-amz-content-sha256'] || '');
  const encodings = String(headers['content-encoding'] || '')
    .split(',')
    .map((s) => s.trim().toLowerCase());
  return sha.startsWith('STREAMING-') || encodings.includes('aws-chunked');
}

function withoutAwsChunked(metadata) {
  const encoding = metadata['content-encoding'];
  if (encoding === undefined) return metadata;
  const rest = String(encoding)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s && s.toLowerCase() !== 'aws-chunked');
  const copy = { ...metadata };
  if (rest.length) copy['content-encoding'] = rest.join(', ');
  else delete copy['content-encoding'];
  return copy;
}

/** Streams `content` to `file`, resolving once the file is flushed, with the decoded size and MD5. */
async function writeContent(content, file) {
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const md5 = crypto.createHash('md5');
  let size = 0;
  const counter = new Transform({
    transform(chunk, _encoding, callback) {
      md5.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  if (Buffer.isBuffer(content)) {
    await fs.promises.writeFile(file, content);
    return { size: content.length, md5: md5.update(content).digest('hex') };
  }
  const stages = [content];
  if (content[AWS_CHUNKED]) stages.push(new AwsChunkedDecoder());
  stages.push(counter, fs.createWriteStream(file));
  await pipeline(stages);
  return { size, md5: md5.digest('hex') };
}

function patchStore(store) {
  store.putObject = async function putObject(object) {
    const file = this.getResourcePath(object.bucket, object.key, 'object');
    const { size, md5 } = await writeContent(object.content, file);
    await this.putMetadata(object.bucket, object.key, withoutAwsChunked(object.metadata), md5);
    return { size, md5 };
  };
  store.putPart = async function putPart(bucket, uploadId, partNumber, content) {
    const file = path.join(this.getResourcePath(bucket, undefined, 'uploads'), uploadId, String(partNumber));
    const { size, md5 } = await writeContent(content, file);
    await fs.promises.writeFile(`${file}.md5`, md5);
    return { size, md5 };
  };
}

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      address: { type: 'string', default: '127.0.0.1' },
      directory: { type: 'string' },
      'ready-file': { type: 'string' },
    },
  });
  if (!values.directory) throw new Error('--directory is required');
  fs.mkdirSync(values.directory, { recursive: true });

  const server = new S3rver({ port: Number(values.port), address: values.address, directory: values.directory, silent: true });
  patchStore(server.store);
  patchDelimiterListing(Object.getPrototypeOf(server.store));
  // First in the chain, before s3rver's routes read the body.
  server.middleware.unshift(async (ctx, next) => {
    if (isAwsChunked(ctx.headers)) ctx.req[AWS_CHUNKED] = true;
    await next();
  });

  const address = await server.run();
  const report = { port: address.port, address: address.address, pid: process.pid, directory: values.directory };
  if (values['ready-file']) {
    fs.mkdirSync(path.dirname(values['ready-file']), { recursive: true });
    const tmp = `${values['ready-file']}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(report)}\n`);
    fs.renameSync(tmp, values['ready-file']);
  }
  process.stdout.write(`${new Date().toISOString()} s3 server listening on http://${address.address}:${address.port} (data ${values.directory})\n`);

  const stop = (signal) => {
    process.stdout.write(`${new Date().toISOString()} s3 server stopping on ${signal}\n`);
    server.close().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`${new Date().toISOString()} s3 server failed: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
