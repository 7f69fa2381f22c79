import { createWriteStream, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import * as path from 'node:path';
import { createGzip } from 'node:zlib';
import { createRandom, logFileKey, makeRecord, rawTextOf } from '@trailscope/fixtures';
import { builtCodeHash } from './code-hash';

export interface BigLogFile {
  file: string;
  key: string;
  events: number;
  uncompressedBytes: number;
  compressedBytes: number;
}

const ACCOUNT = '111122223333';
const REGION = 'us-east-1';
const START_MS = Date.parse('2026-03-10T00:00:00Z');

/**
 * One log file of at least `targetBytes` uncompressed, written through a streaming gzip so that generating it never
 * holds it in memory; cached in `dir` (keyed by size and the fixtures' code).
 */
export async function bigLogFile(dir: string, targetBytes: number): Promise<BigLogFile> {
  const base = path.join(dir, `big-${Math.round(targetBytes / 1024 / 1024)}MiB-${builtCodeHash(['fixtures'])}.json.gz`);
  const metaFile = `${base}.json`;
  if (existsSync(base) && existsSync(metaFile)) return JSON.parse(readFileSync(metaFile, 'utf8')) as BigLogFile;
  const r = createRandom(31);
  const gzip = createGzip();
  const tmp = `${base}.${process.pid}.tmp`;
  const sink = createWriteStream(tmp);
  gzip.pipe(sink);
  const write = async (text: string) => {
    if (!gzip.write(text)) await once(gzip, 'drain');
  };
  let bytes = 0;
  let events = 0;
  await write('{"Records":[');
  bytes += 12;
  while (bytes < targetBytes - 2) {
    // a busy account: an event every few milliseconds, all within one day
    const t = START_MS + Math.floor((events / 400_000) * 86_000_000);
    const text = (events ? ',' : '') + rawTextOf(r, makeRecord(r, ACCOUNT, REGION, Math.floor(t / 1000) * 1000));
    await write(text);
    bytes += Buffer.byteLength(text);
    events += 1;
  }
  await write(']}');
  bytes += 2;
  gzip.end();
  await once(sink, 'finish');
  renameSync(tmp, base);
  const meta: BigLogFile = {
    file: base,
    key: logFileKey({ account: ACCOUNT, region: REGION, fileTimeMs: START_MS + 86_000_000, suffix: `big${Math.round(targetBytes / 1024 / 1024)}`.padEnd(16, '0') }),
    events,
    uncompressedBytes: bytes,
    compressedBytes: statSync(base).size,
  };
  writeFileSync(metaFile, JSON.stringify(meta));
  return meta;
}
