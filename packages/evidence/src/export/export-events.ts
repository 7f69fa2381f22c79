import { stringify } from 'csv-stringify/sync';
import type { OpenSearchClient } from '@trailscope/runtime';
import { FIELDS, TrailscopeError, type Names } from '@trailscope/model';
import {
  parseSearchRequest,
  resolveTimeRange,
  scanEvents,
  type Scope,
  type ScanHit,
  type SearchOptions,
  type TypedEvent,
} from '@trailscope/query';
import { CloudTrailWriter, type CloudTrailEvent } from './cloudtrail-writer';
import { CSV_COLUMNS, CSV_SOURCE_FIELDS, csvRowOf } from './csv-row';
import type { FileOutput, OutputTarget, WrittenFile } from './output-target';

/** RFC 4180: CRLF between records, fields quoted when they hold a quote, comma or line break. */
const CSV_OPTIONS = { record_delimiter: 'windows' } as const;

export const EXPORT_FORMATS = ['ndjson', 'csv', 'cloudtrail'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportPosition {
  eventTime: string;
  id: string;
  /** eventTime as epoch milliseconds, the sort value paging continues after (absent in older checkpoints). */
  eventTimeMs?: number;
}

export interface ExportManifest {
  format: ExportFormat;
  /** The filters as given, and as run: relative times resolved to instants once, when the export began. */
  request: Record<string, unknown>;
  query: Record<string, unknown>;
  startedAt: string;
  finishedAt: string;
  events: number;
  files: WrittenFile[];
}

interface ExportState {
  version: 1;
  format: ExportFormat;
  request: Record<string, unknown>;
  query: Record<string, unknown>;
  startedAt: string;
  position?: ExportPosition;
  events: number;
  files: WrittenFile[];
  /** Single-file formats: the file's length at the checkpoint. */
  bytes?: number;
}

export interface ExportOptions {
  format: ExportFormat;
  /** Search filters, untrusted (parsed here). */
  filters: Record<string, unknown>;
  scope: Scope;
  target: OutputTarget;
  /** Continue the interrupted export whose checkpoint the target holds. */
  resume?: boolean;
  /** Name of the single file of ndjson/csv in a directory or S3 prefix. */
  fileName?: string;
  /** The caller's point-in-time limit (the API key's, under `cursorBinding.principal`), deadline and abort signal. */
  search?: Pick<SearchOptions, 'cursorBinding' | 'pitLimiter' | 'signal' | 'timeoutMs'>;
  /** Events a page read from OpenSearch. */
  pageSize?: number;
  /** Called after each page with events exported so far and the total the query matches. */
  onProgress?: (done: number, total: number) => void;
  checkpointEvents?: number;
  maxEventsPerFile?: number;
  nowMs?: number;
}

/**
 * What each format reads of a document: the raw record alone for ndjson; for cloudtrail also what places it in
 * CloudTrail's key layout; for csv only its columns (the raw record is not needed). The position comes from the
 * sort values.
 */
const SOURCE_FIELDS: Record<ExportFormat, readonly string[]> = {
  ndjson: [FIELDS.raw],
  cloudtrail: [FIELDS.raw, FIELDS.eventTime, FIELDS.account, FIELDS.region, FIELDS.orgId],
  csv: CSV_SOURCE_FIELDS,
};

/** Text is handed to the output in chunks of about this size (and at every checkpoint). */
const WRITE_CHUNK_CHARS = 256 * 1024;

function pinned(filters: Record<string, unknown>, nowMs: number): Record<string, unknown> {
  const request = parseSearchRequest(filters);
  const range = resolveTimeRange(request, nowMs);
  const query: Record<string, unknown> = { ...filters };
  if (range.fromMs !== undefined) query.from = new Date(range.fromMs).toISOString();
  if (range.toMs !== undefined) query.to = new Date(range.toMs).toISOString();
  return query;
}

/**
 * Exports every event a search matches, oldest first, through `scanEvents` (search_after in a point in time, the
 * next page read while this one is written, each hit carrying only what the format needs): memory is two pages
 * and the open files, whatever the count. Single-file formats are written in chunks of a few hundred KiB. Every
 * `checkpointEvents` events the output is brought to a consistent point and the position (eventTime, id) saved
 * beside it (directories and files), so `resume` goes on right after it.
 */
export async function exportEvents(client: OpenSearchClient, names: Pick<Names, 'eventsAlias' | 'namespace'>, options: ExportOptions): Promise<ExportManifest> {
  const { format, target } = options;
  const nowMs = options.nowMs ?? Date.now();
  const checkpointEvents = options.checkpointEvents ?? 10_000;
  let state: ExportState | undefined;
  if (options.resume) {
    if (!target.readState || !target.writeState) throw new TrailscopeError('USAGE', `--resume: only an export to a file or directory can be resumed, not ${target.location}`);
    const text = await target.readState();
    if (text) {
      state = JSON.parse(text) as ExportState;
      if (state.format !== format || JSON.stringify(state.request) !== JSON.stringify(options.filters)) {
        throw new TrailscopeError('USAGE', `--resume: the export in ${target.location} was started with other filters or another format (${state.format}); run it with the same ones, or without --resume`);
      }
    }
  }
  const query = state?.query ?? pinned(options.filters, nowMs);
  const startedAt = state?.startedAt ?? new Date(nowMs).toISOString();
  let position = state?.position;
  let events = state?.events ?? 0;
  const files: WrittenFile[] = [...(state?.files ?? [])];

  const single = format !== 'cloudtrail';
  const fileName = options.fileName ?? `events.${format}`;
  let out: FileOutput | undefined;
  let writer: CloudTrailWriter | undefined;
  if (single) {
    out = await target.open(fileName, state?.bytes !== undefined ? { bytes: state.bytes } : undefined);
    if (format === 'csv' && !state) await out.write(stringify([[...CSV_COLUMNS]], CSV_OPTIONS));
  } else {
    if (state && target.list && target.remove) {
      // files completed after the last checkpoint hold events that will be exported again: drop them
      const kept = new Set(files.map((f) => f.path));
      for (const rel of await target.list()) if (rel.startsWith('AWSLogs/') && !kept.has(rel)) await target.remove(rel);
    }
    writer = new CloudTrailWriter(target, options.maxEventsPerFile);
  }

  const checkpoint = async () => {
    if (!target.writeState) return;
    const snapshot: ExportState = { version: 1, format, request: options.filters, query, startedAt, events, files: [...files] };
    if (position) snapshot.position = position;
    if (out) {
      await out.flush();
      snapshot.bytes = out.bytes;
    } else if (writer) {
      await writer.closeAll();
      files.push(...writer.written.splice(0));
      snapshot.files = [...files];
    }
    await target.writeState(JSON.stringify(snapshot));
  };

  // the events since the last write (single-file formats): lines of ndjson, rows of csv
  let pendingText = '';
  let pendingRows: string[][] = [];
  let pendingChars = 0;
  const writePending = async () => {
    if (pendingRows.length > 0) {
      pendingText += stringify(pendingRows, CSV_OPTIONS);
      pendingRows = [];
    }
    pendingChars = 0;
    if (pendingText === '') return;
    const text = pendingText;
    pendingText = '';
    await (out as FileOutput).write(text);
  };

  const rawOf = (hit: ScanHit): string => {
    const raw = hit.source[FIELDS.raw];
    if (typeof raw !== 'string') throw new TrailscopeError('INTERNAL', `export: event ${hit.id} has no stored record`);
    return raw;
  };

  let sinceCheckpoint = 0;
  const request = parseSearchRequest(query);
  const after = position ? { eventTimeMs: position.eventTimeMs ?? Date.parse(position.eventTime), id: position.id } : undefined;
  const scan = scanEvents(client, names, request, options.scope, {
    source: SOURCE_FIELDS[format],
    ...(after ? { after } : {}),
    ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
    ...(options.search?.pitLimiter ? { pitLimiter: options.search.pitLimiter, principal: options.search.cursorBinding?.principal ?? '' } : {}),
    ...(options.search?.signal ? { signal: options.search.signal } : {}),
    ...(options.search?.timeoutMs !== undefined ? { timeoutMs: options.search.timeoutMs } : {}),
    nowMs,
  });
  for await (const page of scan) {
    for (const hit of page.hits) {
      if (format === 'ndjson') {
        const raw = rawOf(hit);
        pendingText += `${raw}\n`;
        pendingChars += raw.length + 1;
      } else if (format === 'csv') {
        const row = csvRowOf({ ...(hit.source as unknown as TypedEvent), id: hit.id });
        pendingRows.push(row);
        for (const cell of row) pendingChars += cell.length + 1;
      } else {
        const s = hit.source as Partial<CloudTrailEvent>;
        await (writer as CloudTrailWriter).write({ raw: rawOf(hit), eventTime: typeof s.eventTime === 'string' ? s.eventTime : new Date(hit.eventTimeMs).toISOString(), account: String(s.account ?? ''), region: s.region, orgId: s.orgId });
      }
      events += 1;
      sinceCheckpoint += 1;
      position = { eventTime: new Date(hit.eventTimeMs).toISOString(), eventTimeMs: hit.eventTimeMs, id: hit.id };
      if (sinceCheckpoint >= checkpointEvents) {
        await writePending();
        await checkpoint();
        sinceCheckpoint = 0;
      } else if (pendingChars >= WRITE_CHUNK_CHARS) {
        await writePending();
      }
    }
    await writePending();
    options.onProgress?.(events, Math.max(page.total, events));
  }

  if (out) files.push(await out.close(events));
  if (writer) {
    await writer.closeAll();
    files.push(...writer.written.splice(0));
  }
  const manifest: ExportManifest = { format, request: options.filters, query, startedAt, finishedAt: new Date().toISOString(), events, files };
  await target.writeManifest(`${JSON.stringify(manifest, null, 2)}\n`);
  await target.writeState?.(undefined);
  return manifest;
}
