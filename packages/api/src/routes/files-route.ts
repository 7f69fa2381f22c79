import type { FastifyInstance } from 'fastify';
import { listFiles, parseFilesRequest } from '@trailscope/evidence';
import { TrailscopeError, type Names } from '@trailscope/model';
import { isUnrestricted } from '@trailscope/query';
import type { OpenSearchClient } from '@trailscope/runtime';

export interface FilesRouteDeps {
  client: OpenSearchClient;
  names: Names;
}

const LIST_FIELDS = new Set(['accounts', 'regions', 'statuses']);
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** A GET query string as a files request: repeated keys for lists, `pageSize` as a number. */
export function filesInputFromQuery(query: Record<string, string | string[] | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [key, raw] of Object.entries(query)) {
    if (FORBIDDEN_KEYS.has(key)) throw new TrailscopeError('VALIDATION_FAILED', `${key}: not allowed as a query-string key`, { context: { field: key } });
    if (raw === undefined) continue;
    const values = Array.isArray(raw) ? raw : [raw];
    const last = values[values.length - 1] as string;
    if (LIST_FIELDS.has(key)) out[key] = values.flatMap((v) => v.split(',')).filter((v) => v !== '');
    else if (key === 'pageSize') out[key] = /^\d+$/.test(last) ? Number(last) : last;
    else out[key] = last;
  }
  return out;
}

/**
 * GET /v1/files: the file ledger, by key, a page at a time, for keys without an account or region limit only (as
 * /v1/stats): the ledger describes the ingest of the whole bucket, so a key limited to accounts or regions is
 * refused, FORBIDDEN, whatever it asks.
 */
export function registerFilesRoute(app: FastifyInstance, deps: FilesRouteDeps): void {
  app.get('/v1/files', async (request) => {
    const auth = request.auth;
    if (!auth) throw new TrailscopeError('UNAUTHORIZED', 'authorization: missing or invalid API key');
    if (!isUnrestricted(auth.scope)) throw new TrailscopeError('FORBIDDEN', 'files: only keys without an account or region limit may read the file ledger');
    const req = parseFilesRequest(filesInputFromQuery(request.query as Record<string, string | string[]>));
    return listFiles(deps.client, deps.names, req, auth.scope);
  });
}
