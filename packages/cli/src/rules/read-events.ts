import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { TrailscopeError } from '@trailscope/model';
import { logSourceFor, parseLogFile, tryNormalize, type LogSource } from '@trailscope/parser';
import type { EventMeta } from '@trailscope/rules';

/** A record read from an events file, with what the index would store for it (id, time, account, region). */
export interface OfflineEvent {
  record: unknown;
  meta: EventMeta;
}

export interface ReadProblem {
  where: string;
  reason: string;
}

/** Largest pretty-printed `{"Records": [...]}` file read whole (NDJSON and .json.gz stream). */
const MAX_WHOLE_JSON_BYTES = 256 * 1024 * 1024;

/**
 * The log file the events are taken to come from: `key` (the S3 key they were delivered under) or else the file's
 * own path, whose account and region the indexer would use for records without recipientAccountId or awsRegion
 * when the path keeps CloudTrail's layout (`.../AWSLogs/<account>/CloudTrail/<region>/...`, as `aws s3 sync` does).
 */
function sourceFor(file: string, key: string | undefined): LogSource {
  const source = logSourceFor('file', key ?? file, '');
  return { ...source, kind: 'log' };
}

function metaOf(doc: { id: string; eventTime: string; account: string; region?: string }): EventMeta {
  return { eventId: doc.id, eventTime: doc.eventTime, account: doc.account === 'unknown' ? undefined : doc.account, region: doc.region };
}

async function isGzip(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/**
 * Records of an events file: a CloudTrail log file (`.json.gz`, detected by its gzip header), a `{"Records": [...]}`
 * JSON document, or NDJSON (one record per line). Each record is normalized as the indexer would, so its id, time,
 * account and region are those the index holds; records the indexer would reject are reported, not evaluated.
 */
export async function* readEvents(file: string, problems: ReadProblem[], options: { key?: string } = {}): AsyncGenerator<OfflineEvent> {
  const at = new Date().toISOString();
  const source = sourceFor(file, options.key);
  let gz: boolean;
  try {
    gz = await isGzip(file);
  } catch (e) {
    throw new TrailscopeError('NOT_FOUND', `${file}: cannot read events file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (gz) {
    for await (const item of parseLogFile(createReadStream(file), source, { ingestedAt: at })) {
      if (!item.ok) problems.push({ where: file, reason: item.reason });
      else yield { record: JSON.parse(item.doc.raw), meta: metaOf(item.doc) };
    }
    return;
  }
  const one = (record: unknown, raw: string, where: string): OfflineEvent | undefined => {
    const r = tryNormalize(record, raw, source, at);
    if (!r.ok) {
      problems.push({ where, reason: r.reason });
      return undefined;
    }
    return { record, meta: metaOf(r.doc) };
  };
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    const text = line.trim();
    if (text === '') continue;
    if (n === 1 && (text === '{' || text.startsWith('{"Records"') || text.startsWith('{ "Records"'))) {
      lines.close();
      yield* wholeDocument(file, problems, one);
      return;
    }
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch (e) {
      problems.push({ where: `${file}:${n}`, reason: `not JSON (${(e as Error).message})` });
      continue;
    }
    const ev = one(record, text, `${file}:${n}`);
    if (ev) yield ev;
  }
}

async function* wholeDocument(
  file: string,
  problems: ReadProblem[],
  one: (record: unknown, raw: string, where: string) => OfflineEvent | undefined,
): AsyncGenerator<OfflineEvent> {
  const text = await readFile(file, 'utf8');
  if (Buffer.byteLength(text) > MAX_WHOLE_JSON_BYTES) throw new TrailscopeError('OBJECT_TOO_LARGE', `${file}: over ${MAX_WHOLE_JSON_BYTES} bytes; use NDJSON or .json.gz`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new TrailscopeError('INVALID_JSON', `${file}: not valid JSON (${(e as Error).message})`);
  }
  const records = (doc as { Records?: unknown } | null)?.Records;
  if (!Array.isArray(records)) throw new TrailscopeError('NO_RECORDS_ARRAY', `${file}: no "Records" array`);
  let i = 0;
  for (const record of records) {
    i++;
    const ev = one(record, JSON.stringify(record), `${file}: record ${i}`);
    if (ev) yield ev;
  }
}
