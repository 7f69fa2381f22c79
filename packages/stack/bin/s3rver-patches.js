'use strict';
/*
 * Everything trailscope changes in s3rver 3.7, in one place. s3rver is the local stack's S3 server (development
 * only). Adobe's S3Mock 4.11 (Maven Central, Java 17) needs none of these patches but was several times slower at
 * uploads, slower at listings and far slower to start on this workload (the commit adding this file has the
 * figures), so s3rver stays. Each patch is a behaviour of real S3 and MinIO that trailscope relies on:
 *
 * 1. aws-chunked uploads: current AWS SDKs upload streams with `aws-chunked` content encoding (checksum trailers);
 *    s3rver would store the chunk framing as object bytes, so bodies are decoded.
 * 2. Durable PUTs: s3rver acknowledges a PUT before the object file is flushed, so a GET right after could read a
 *    short file; the write is awaited.
 * 3. Delimiter listings: s3rver misses CommonPrefixes of nested keys (its filesystem walk prunes every directory
 *    below a common prefix before finding an object in it), so `ListObjectsV2(Prefix=AWSLogs/, Delimiter=/)`
 *    returned no account folder unless a zero-byte folder key sat right there. Discovery depends on them.
 *
 * And one runtime need: s3rver encrypts ListObjectsV2 continuation tokens with DES, which Node 17+ offers only through
 * OpenSSL's legacy provider; without S3RVER_NODE_FLAGS every listing longer than one page (1,000 keys) fails with a 500.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { Transform } = require('node:stream');
const { pipeline } = require('node:stream/promises');
const { AwsChunkedDecoder } = require('./aws-chunked-decoder');

/** Node flags the s3rver process must run with. */
const S3RVER_NODE_FLAGS = ['--openssl-legacy-provider'];

const AWS_CHUNKED = Symbol('awsChunked');
const OBJECT_SUFFIX = '._S3rver_object';

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

/** Patches 1 and 2 on one store instance. */
function patchWrites(store) {
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

function hasObject(dir) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  for (const e of entries) if (e.isFile() && e.name.endsWith(OBJECT_SUFFIX)) return true;
  for (const e of entries) if (e.isDirectory() && hasObject(path.join(dir, e.name))) return true;
  return false;
}

/** Patch 3, on one store instance: a child directory of the listed prefix holding an object is a common prefix. */
function patchDelimiterListing(store) {
  const original = store.listObjects;
  store.listObjects = async function listObjects(bucket, options) {
    const result = await original.call(this, bucket, options);
    const { delimiter = '', prefix = '', startAfter = '' } = options || {};
    if (delimiter !== '/' || process.platform === 'win32') return result;
    const cut = prefix.lastIndexOf('/') + 1;
    const parentKey = prefix.slice(0, cut);
    const namePrefix = prefix.slice(cut);
    const parentDir = path.join(this.getBucketPath(bucket), parentKey);
    let entries;
    try {
      entries = fs.readdirSync(parentDir, { withFileTypes: true });
    } catch {
      return result;
    }
    const prefixes = new Set(result.commonPrefixes);
    for (const e of entries) {
      if (!e.isDirectory() || !e.name.startsWith(namePrefix)) continue;
      const cp = `${parentKey}${e.name}/`;
      if (prefixes.has(cp)) continue;
      if (startAfter && cp < startAfter && !startAfter.startsWith(cp)) continue;
      if (hasObject(path.join(parentDir, e.name))) prefixes.add(cp);
    }
    result.commonPrefixes = [...prefixes].sort();
    return result;
  };
}

/** Applies every patch to a constructed (not yet running) S3rver instance, and to no other. Idempotent. */
function patchS3rver(server) {
  if (server[AWS_CHUNKED]) return server;
  server[AWS_CHUNKED] = true;
  patchWrites(server.store);
  patchDelimiterListing(server.store);
  // First in the chain, before s3rver's routes read the body.
  server.middleware.unshift(async (ctx, next) => {
    if (isAwsChunked(ctx.headers)) ctx.req[AWS_CHUNKED] = true;
    await next();
  });
  return server;
}

module.exports = { patchS3rver, S3RVER_NODE_FLAGS };
