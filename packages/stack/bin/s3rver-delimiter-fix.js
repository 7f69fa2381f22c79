'use strict';
/*
 * s3rver 3.7 misses CommonPrefixes of nested keys in Delimiter listings: its filesystem walk prunes every directory
 * below a common prefix before finding an object in it, so `ListObjectsV2(Prefix=AWSLogs/, Delimiter=/)` returns
 * no account folder unless a zero-byte folder key sits right there. Real S3 and MinIO return them all, and
 * trailscope's discovery depends on it. This adds the missing prefixes: a child directory of the listed prefix is a
 * common prefix when its subtree holds at least one object.
 *
 * s3-server.js applies it to the store's prototype; preloading this file (`node -r`) patches s3rver as well.
 */
const fs = require('node:fs');
const path = require('node:path');

const OBJECT_SUFFIX = '._S3rver_object';

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

function patchDelimiterListing(proto) {
  if (proto.__delimiterFixed) return;
  const original = proto.listObjects;
  proto.listObjects = async function listObjects(bucket, options) {
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
  proto.__delimiterFixed = true;
}

module.exports = { patchDelimiterListing };

try {
  patchDelimiterListing(require('s3rver/lib/stores/filesystem').prototype);
} catch {
  // s3rver not installed in this process: nothing to patch
}
