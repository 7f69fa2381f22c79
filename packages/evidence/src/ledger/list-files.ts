import { TrailscopeError, type Names } from '@trailscope/model';
import type { FileLedgerEntry } from '@trailscope/indexer';
import { assertWithinScope, resolveTimeRange, type Scope } from '@trailscope/query';
import { errorFacts, toOpenSearchError, type OpenSearchClient } from '@trailscope/runtime';
import type { FilesRequest } from './files-request';

export interface FilesPage {
  files: FileLedgerEntry[];
  total: number;
  /** Pass back as `cursor` with the same filters for the next page; absent on the last page. */
  cursor?: string;
}

type Range = { gte?: number; lte?: number };

function filesQuery(req: FilesRequest, scope: Scope, nowMs: number): object {
  assertWithinScope(req, scope);
  const c: object[] = [];
  const terms = (field: string, values: string[] | undefined) => {
    if (values) c.push({ terms: { [field]: values } });
  };
  terms('account', req.accounts);
  terms('region', req.regions);
  terms('status', req.statuses);
  if (req.bucket) c.push({ term: { bucket: req.bucket } });
  // the scope: a key limited to accounts or regions sees only the files of those
  terms('account', scope.accounts);
  terms('region', scope.regions);
  const { fromMs, toMs } = resolveTimeRange(req, nowMs);
  if (fromMs !== undefined || toMs !== undefined) {
    const range = (field: string, r: Range) => ({ range: { [field]: { format: 'epoch_millis', ...r } } });
    const overlap: object[] = [];
    if (fromMs !== undefined) overlap.push(range('lastEventTime', { gte: fromMs }));
    if (toMs !== undefined) overlap.push(range('firstEventTime', { lte: toMs }));
    const ingested: Range = {};
    if (fromMs !== undefined) ingested.gte = fromMs;
    if (toMs !== undefined) ingested.lte = toMs;
    c.push({
      bool: {
        should: [
          { bool: { filter: overlap } },
          { bool: { must_not: [{ exists: { field: 'firstEventTime' } }], filter: [range('ingestedAt', ingested)] } },
        ],
        minimum_should_match: 1,
      },
    });
  }
  return c.length === 0 ? { match_all: {} } : { bool: { filter: c } };
}

function decodeCursor(cursor: string): unknown[] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'string')) return v;
  } catch {
    // fall through
  }
  throw new TrailscopeError('INVALID_CURSOR', 'cursor: not a files cursor; repeat the original request', { context: { field: 'cursor' } });
}

/**
 * One page of the file ledger by bucket/key (then entry id), within the caller's scope; an empty page before setup
 * has created the ledger.
 */
export async function listFiles(
  client: OpenSearchClient,
  names: Pick<Names, 'filesIndex'>,
  req: FilesRequest,
  scope: Scope,
  nowMs = Date.now(),
): Promise<FilesPage> {
  const body: Record<string, unknown> = {
    query: filesQuery(req, scope, nowMs),
    sort: [{ key: { order: 'asc' } }, { id: { order: 'asc' } }],
    size: req.pageSize + 1,
    track_total_hits: true,
  };
  if (req.cursor) body.search_after = decodeCursor(req.cursor);
  let hits: Array<{ _source: FileLedgerEntry; sort: unknown[] }>;
  let total: number;
  try {
    const res = await client.transport.request({ method: 'POST', path: `/${encodeURIComponent(names.filesIndex)}/_search`, body });
    const h = (res.body as { hits: { hits: typeof hits; total: { value: number } } }).hits;
    hits = h.hits;
    total = h.total.value;
  } catch (err) {
    if (errorFacts(err).statusCode === 404) return { files: [], total: 0 };
    throw toOpenSearchError(err, `listing the file ledger ${names.filesIndex}`);
  }
  const page = hits.slice(0, req.pageSize);
  const out: FilesPage = { files: page.map((h) => h._source), total };
  const last = page[page.length - 1];
  if (hits.length > req.pageSize && last) out.cursor = Buffer.from(JSON.stringify(last.sort)).toString('base64url');
  return out;
}
