import { stringify } from 'csv-stringify/sync';
import type { OpenSearchClient } from '@trailscope/runtime';
import { TrailscopeError, type Names } from '@trailscope/model';
import {
  MAX_PAGE_SIZE,
  parseSearchRequest,
  resolveTimeRange,
  search,
  type Scope,
  type SearchOptions,
  type TypedEvent,
} from '@trailscope/query';
import { CloudTrailWriter } from './cloudtrail-writer';
import { CSV_COLUMNS, csvRowOf } from './csv-row';
import type { FileOutput, OutputTarget, WrittenFile } from './output-target';

/** RFC 4180: CRLF between records, fields quoted when they hold a quote, comma or line break. */
const CSV_OPTIONS = { record_delimiter: 'windows' } as const;

export const EXPORT_FORMATS = ['ndjson', 'csv', 'cloudtrail'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportPosition {
  eventTime: string;
  id: string;
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
  search?: Pick<SearchOptions, 'cursorBinding' | 'pitLimiter' | 'signal' | 'timeoutMs'>;
  /** Called after each page with events exported so far and the total the query matches. */
  onProgress?: (done: number, total: number) => void;
  checkpointEvents?: number;
  maxEventsPerFile?: number;
  nowMs?: number;
}

const after = (e: { eventTime: string; id: string }, p: ExportPosition | undefined) =>
  !p || e.eventTime > p.eventTime || (e.eventTime === p.eventTime && e.id > p.id);

function pinned(filters: Record<string, unknown>, nowMs: number): Record<string, unknown> {
  const request = parseSearchRequest(filters);
  const range = resolveTimeRange(request, nowMs);
  const query: Record<string, unknown> = { ...filters };
  if (range.fromMs !== undefined) query.from = new Date(range.fromMs).toISOString();
  if (range.toMs !== undefined) query.to = new Date(range.toMs).toISOString();
  return query;
}

/**
 * Exports every event a search matches, oldest first, paging with search_after in a point in time: memory is one
 * page and the open files, whatever the count. Every `checkpointEvents` events the output is brought to a
 * consistent point and the position saved beside it (directories and files), so `resume` goes on from there.
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

  let sinceCheckpoint = 0;
  let cursor: string | undefined;
  const from = position && (query.from === undefined || position.eventTime > String(query.from)) ? position.eventTime : query.from;
  const base = { ...query, from, sort: 'asc', pageSize: MAX_PAGE_SIZE, includeRaw: true };
  let total: number | undefined;
  do {
    const page = await search(client, names, parseSearchRequest({ ...base, cursor }), options.scope, options.search ?? {});
    total ??= events + page.total;
    for (const e of page.events as Array<TypedEvent>) {
      if (!after(e, position)) continue;
      if (typeof e.raw !== 'string') throw new TrailscopeError('INTERNAL', `export: event ${e.id} has no stored record`);
      const withRaw = e as TypedEvent & { raw: string };
      if (format === 'ndjson') await (out as FileOutput).write(`${withRaw.raw}\n`);
      else if (format === 'csv') await (out as FileOutput).write(stringify([csvRowOf(withRaw)], CSV_OPTIONS));
      else await (writer as CloudTrailWriter).write(withRaw);
      events += 1;
      sinceCheckpoint += 1;
      position = { eventTime: e.eventTime, id: e.id };
      if (sinceCheckpoint >= checkpointEvents) {
        await checkpoint();
        sinceCheckpoint = 0;
      }
    }
    cursor = page.cursor;
    options.onProgress?.(events, Math.max(total, events));
  } while (cursor);

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
