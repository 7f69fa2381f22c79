import type { Writable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { TrailscopeError, type EventDoc } from '@trailscope/model';
import { s3UrlOf, type LogSource } from './log-source';
import { NOT_PARSED, RecordsSplitter } from './records-splitter';
import { normalizeOrReason } from './normalize';

export type ParsedItem =
  | { ok: true; id: string; doc: EventDoc }
  | { ok: false; raw: string; code: 'RECORD_INVALID'; reason: string };

/** Counters a caller can pass in to watch a file's progress; updated as the file is read. */
export interface ParseStats {
  compressedBytes: number;
  decompressedBytes: number;
  /** Records yielded as documents. */
  records: number;
  /** Records yielded as RECORD_INVALID. */
  rejected: number;
}

export interface ParseOptions {
  /** Decompressed bytes allowed; the file fails with OBJECT_TOO_LARGE beyond it. */
  maxObjectBytes?: number;
  /** The ingest timestamp written into every document (defaults to now, once per file). */
  ingestedAt?: string;
  stats?: ParseStats;
  /**
   * Fed every decompressed chunk in order (a `crypto` Hash): the SHA-256 CloudTrail's digests list is of the
   * uncompressed content, and hashing it here costs no second read.
   */
  hash?: { update(chunk: Buffer): unknown };
}

/**
 * zlib's output chunk: far larger than the 16 KiB default, as per-chunk overhead (thread-pool round trip, stream
 * callbacks, a fresh Buffer) was a measurable share of parsing; still bounded whatever the file size.
 */
const GUNZIP_CHUNK_BYTES = 256 * 1024;

/**
 * Room for zlib to inflate the next chunks on the thread pool while this thread parses the current one. The default
 * readable buffer (16 KiB) is smaller than one chunk, so zlib would otherwise sit idle until each chunk is read.
 * Bounded: a few chunks, whatever the file size.
 */
const GUNZIP_READ_AHEAD = { readableHighWaterMark: 2 * GUNZIP_CHUNK_BYTES };

/**
 * Compressed bytes of a file's first write to gunzip (about 40-80 KiB once inflated, for CloudTrail's JSON). Without
 * it the thread waits for a whole first output chunk to inflate before any record of the file can be parsed.
 */
const FIRST_WRITE_BYTES = 8 * 1024;

export function newParseStats(): ParseStats {
  return { compressedBytes: 0, decompressedBytes: 0, records: 0, rejected: 0 };
}

/** Resolves when `stream` can take more input, or once it is destroyed (the caller then checks `destroyed`). */
function drained(stream: Writable): Promise<void> {
  if (stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

function isZlibError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}

function toBuffer(chunk: Buffer | Uint8Array | string): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'latin1');
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * Streams one gzip-compressed CloudTrail log file into documents: gunzip, split the "Records" array, JSON.parse each
 * record, normalize. Memory is bounded by the largest record, not the file. File-level problems throw a
 * TrailscopeError (NOT_GZIP, GZIP_TRUNCATED, INVALID_JSON, NO_RECORDS_ARRAY, RECORDS_NOT_ARRAY, EMPTY_LOG_FILE,
 * OBJECT_TOO_LARGE) naming the S3 URL; errors of the `compressed` source itself are rethrown unchanged. A bad
 * record is yielded as `{ ok: false }` and the file goes on.
 *
 * Streaming means a file found broken late (truncated gzip, invalid JSON near the end) has already yielded the
 * records before the break; callers that index them rely on idempotent ids.
 *
 * One item at a time: a convenience over parseLogFileBatches, which is what the worker uses.
 */
export async function* parseLogFile(
  compressed: AsyncIterable<Buffer | Uint8Array | string>,
  source: LogSource,
  options: ParseOptions = {},
): AsyncGenerator<ParsedItem> {
  for await (const batch of parseLogFileBatches(compressed, source, options)) {
    for (const item of batch) yield item;
  }
}

/**
 * parseLogFile's items in batches: the records that ended in one decompressed chunk (never an empty batch), in order.
 * Batches exist because an async generator's per-item `await` (a promise and microtask turns per record) was a
 * measurable share of parsing; a batch is bounded by the chunk size (or one record larger than it). The same
 * guarantees as parseLogFile: when a file-level error ends the file, the batch of records before it in the same chunk
 * is yielded first, then the error is thrown.
 */
export async function* parseLogFileBatches(
  compressed: AsyncIterable<Buffer | Uint8Array | string>,
  source: LogSource,
  options: ParseOptions = {},
): AsyncGenerator<ParsedItem[]> {
  const label = s3UrlOf(source);
  const maxObjectBytes = options.maxObjectBytes ?? Number.POSITIVE_INFINITY;
  const ingestedAt = options.ingestedAt ?? new Date().toISOString();
  const stats = options.stats ?? newParseStats();
  let sourceError: unknown;
  let ownError: TrailscopeError | undefined;

  const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES, ...GUNZIP_READ_AHEAD });

  /**
   * Feeds the checked compressed bytes into gunzip with backpressure. A plain loop rather than Readable.from +
   * pipeline: that plumbing cost more per file than the inflating it arranged. Never rejects: every failure destroys
   * gunzip with the error, which then surfaces through the iteration of gunzip below.
   */
  async function pump(): Promise<void> {
    let head: Buffer | undefined;
    let full = false;
    try {
      for await (const piece of compressed) {
        // Backpressure is honoured before writing the next piece rather than right after a write, so that the end
        // of the source is seen, and gunzip.end() called, while the last write is still inflating: zlib then
        // finishes the stream right behind it instead of after another wait. The drain may already have happened
        // while the source was producing this piece: only a buffer still over its mark is waited on, since a
        // listener added after the 'drain' event would wait forever.
        if (full && gunzip.writableNeedDrain && !gunzip.destroyed) await drained(gunzip);
        if (gunzip.destroyed) return; // the reader stopped early; returning closes the source
        let chunk = toBuffer(piece);
        if (chunk.length === 0) continue;
        stats.compressedBytes += chunk.length;
        if (head !== undefined || stats.compressedBytes === chunk.length) {
          // The gzip magic may straddle the first two chunks.
          chunk = head ? Buffer.concat([head, chunk]) : chunk;
          if (chunk.length < 2) {
            head = chunk;
            continue;
          }
          head = undefined;
          if (chunk[0] !== 0x1f || chunk[1] !== 0x8b) {
            ownError = new TrailscopeError('NOT_GZIP', `${label} is not gzip-compressed (it does not start with the gzip magic bytes)`);
            gunzip.destroy(ownError);
            return;
          }
          if (chunk.length > FIRST_WRITE_BYTES) {
            // zlib hands back output only per full chunk or once its input is used up: a small first write lets the
            // parsing of the file's first records start while the rest is still inflating on the thread pool.
            gunzip.write(chunk.subarray(0, FIRST_WRITE_BYTES));
            chunk = chunk.subarray(FIRST_WRITE_BYTES);
          }
        }
        full = !gunzip.write(chunk);
      }
    } catch (err) {
      sourceError = err;
      gunzip.destroy(err as Error);
      return;
    }
    if (stats.compressedBytes === 0) ownError = new TrailscopeError('EMPTY_LOG_FILE', `${label} is empty (zero bytes)`);
    else if (head !== undefined) ownError = new TrailscopeError('NOT_GZIP', `${label} is not gzip-compressed (it is a single byte)`);
    if (ownError !== undefined) gunzip.destroy(ownError);
    else if (!gunzip.destroyed) gunzip.end();
  }

  void pump();
  const splitter = new RecordsSplitter(label);
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      stats.decompressedBytes += chunk.length;
      if (stats.decompressedBytes > maxObjectBytes) {
        throw new TrailscopeError(
          'OBJECT_TOO_LARGE',
          `${label} decompresses to more than ${maxObjectBytes} bytes (the configured maxObjectBytes)`,
          { context: { maxObjectBytes } },
        );
      }
      options.hash?.update(chunk);
      // the splitter parses most records itself on the way (see RecordsSplitter.push); the rest are parsed here
      const parsed: unknown[] = [];
      const raws = splitter.push(chunk, parsed);
      if (raws.length === 0) continue;
      const batch: ParsedItem[] = [];
      let broken: TrailscopeError | undefined;
      for (let k = 0; k < raws.length; k++) {
        const raw = raws[k] as string;
        let record = parsed[k];
        try {
          if (record === NOT_PARSED) record = JSON.parse(raw);
        } catch (cause) {
          broken = new TrailscopeError(
            'INVALID_JSON',
            `${label} is not valid JSON: record ${splitter.records} does not parse: ${(cause as Error).message}`,
            { cause },
          );
          break;
        }
        const doc = normalizeOrReason(record, raw, source, ingestedAt);
        if (typeof doc !== 'string') {
          stats.records++;
          batch.push({ ok: true, id: doc.id, doc });
        } else {
          stats.rejected++;
          batch.push({ ok: false, raw, code: 'RECORD_INVALID', reason: doc });
        }
      }
      if (batch.length > 0) yield batch;
      if (broken !== undefined) throw broken;
    }
  } catch (err) {
    if (sourceError !== undefined) throw sourceError;
    if (ownError !== undefined) throw ownError;
    if (isZlibError(err)) {
      throw new TrailscopeError('GZIP_TRUNCATED', `${label} is a truncated or corrupt gzip stream: ${(err as Error).message}`, {
        cause: err,
      });
    }
    throw err;
  } finally {
    gunzip.destroy();
  }
  splitter.end();
}
