#!/usr/bin/env node
'use strict';
/*
 * The S3-compatible server of the local stack: s3rver with trailscope's patches (s3rver-patches.js), run as its own
 * process by `trailscope stack up` with S3RVER_NODE_FLAGS. Plain JavaScript so it runs the same from sources (tests)
 * and from the build.
 */
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const S3rver = require('s3rver');
const { patchS3rver } = require('./s3rver-patches');

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

  const server = patchS3rver(new S3rver({ port: Number(values.port), address: values.address, directory: values.directory, silent: true }));
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
