import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { TrailscopeError, type Names } from '@trailscope/model';
import type { OpenSearchClient } from '@trailscope/runtime';
import { parseSearchRequest } from '@trailscope/query';
import { EXPORT_FORMATS, exportEvents, streamTarget, tarTarget, type ExportFormat } from '@trailscope/evidence';
import { searchInputFromQuery } from '../query-string';
import type { SearchCursors } from './search-cursors';

export interface ExportRouteDeps {
  client: OpenSearchClient;
  names: Names;
  cursors: SearchCursors;
  /** Deadline of each page's search (the export itself may run for as long as the client reads). */
  searchTimeoutMs?: number;
}

const CONTENT_TYPES: Record<ExportFormat, string> = {
  ndjson: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  cloudtrail: 'application/x-tar',
};

/**
 * GET /v1/export?format=ndjson|csv|cloudtrail&<search filters>: the events the key may see, oldest first, streamed
 * (chunked) as they are read; cloudtrail is a tar archive of what `export --format cloudtrail --out DIR` writes (the
 * `.json.gz` log files in CloudTrail's key layout, then manifest.json). Bad input is answered before the first byte;
 * a failure after it cuts the stream, so a truncated body never passes for a complete one.
 */
export function registerExportRoute(app: FastifyInstance, deps: ExportRouteDeps): void {
  app.get('/v1/export', async (request, reply) => {
    const auth = request.auth;
    if (!auth) throw new TrailscopeError('UNAUTHORIZED', 'authorization: missing or invalid API key');
    const { format: rawFormat, ...query } = request.query as Record<string, string | string[]>;
    const format = Array.isArray(rawFormat) ? rawFormat[rawFormat.length - 1] : rawFormat;
    if (!format || !(EXPORT_FORMATS as readonly string[]).includes(format)) {
      throw new TrailscopeError('VALIDATION_FAILED', `format: must be one of ${EXPORT_FORMATS.join(', ')}`, { context: { field: 'format' } });
    }
    const filters = searchInputFromQuery(query);
    for (const key of ['sort', 'pageSize', 'cursor', 'includeRaw']) {
      if (key in filters) throw new TrailscopeError('VALIDATION_FAILED', `${key}: not an export parameter (exports are whole, oldest first)`, { context: { field: key } });
    }
    parseSearchRequest(filters);

    const body = new PassThrough();
    const gone = new AbortController();
    reply.raw.once('close', () => gone.abort());
    const name = format === 'cloudtrail' ? 'events.tar' : `events.${format}`;
    const tar = format === 'cloudtrail' ? await tarTarget(body) : undefined;
    void exportEvents(deps.client, deps.names, {
      format: format as ExportFormat,
      filters: { ...filters },
      scope: auth.scope,
      target: tar ?? streamTarget(body, 'http'),
      search: { ...deps.cursors.optionsFor(auth.key.id), signal: gone.signal, timeoutMs: deps.searchTimeoutMs },
    })
      .then(
        () => body.end(),
        (err: unknown) => {
          if (!gone.signal.aborted) request.log.error({ err }, 'export stream failed after it began; the answer was cut');
          body.destroy(err instanceof Error ? err : new Error(String(err)));
        },
      )
      .finally(() => tar?.dispose());
    return reply.type(CONTENT_TYPES[format as ExportFormat]).header('content-disposition', `attachment; filename="${name}"`).send(body);
  });
}
