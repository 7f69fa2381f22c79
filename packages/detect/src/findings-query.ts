import { z } from 'zod';
import { TrailscopeError, type Names } from '@trailscope/model';
import { AccountId, Region, assertWithinScope, isTimeExpression, resolveTimeRange, scopeClauses, validationErrorFrom, type Scope } from '@trailscope/query';
import { errorFacts, toOpenSearchError, type OpenSearchClient } from '@trailscope/runtime';
import { FINDING_LEVELS, FINDING_STATUSES, FindingStatusChangeSchema, type FindingDoc, type FindingStatusChange } from './finding';

export const MAX_FINDINGS_PAGE = 1000;

const list = <T extends z.ZodType>(item: T) => z.array(item).min(1, 'must not be empty; omit the field instead').max(200, 'must have at most 200 values');
const text = z.string().trim().min(1, 'must not be empty').max(1024);
const TimeExpression = z.string().refine(isTimeExpression, 'must be ISO-8601 with a zone, a date, "now" or a duration such as 24h or 7d');

export const FindingsRequestSchema = z.strictObject({
  accounts: list(AccountId).optional(),
  regions: list(Region).optional(),
  from: TimeExpression.optional().describe('start of the (first) event time, inclusive'),
  to: TimeExpression.optional().describe('end of the (first) event time, inclusive to the millisecond'),
  rules: list(text).optional().describe('rule ids'),
  levels: list(z.enum(FINDING_LEVELS)).optional(),
  statuses: list(z.enum(FINDING_STATUSES)).optional(),
  principals: list(text).optional().describe('principal ARN (or principal id)'),
  sourceIps: list(text).optional().describe('source IP address as CloudTrail wrote it'),
  eventIds: list(text).optional().describe('findings about any of these events'),
  pageSize: z.int().min(1).max(MAX_FINDINGS_PAGE).default(100),
  cursor: z.string().min(1).max(4096).optional(),
});
export type FindingsRequest = z.output<typeof FindingsRequestSchema>;

export function parseFindingsRequest(input: unknown): FindingsRequest {
  const parsed = FindingsRequestSchema.safeParse(input);
  if (!parsed.success) throw validationErrorFrom(parsed.error, 'findings request');
  return parsed.data;
}

export interface FindingsPage {
  findings: FindingDoc[];
  total: number;
  cursor?: string;
}

function findingsQuery(req: FindingsRequest, scope: Scope, nowMs: number): object {
  assertWithinScope(req, scope);
  const c: object[] = [];
  const terms = (field: string, values: string[] | undefined) => {
    if (values) c.push({ terms: { [field]: values } });
  };
  terms('account', req.accounts);
  terms('region', req.regions);
  const range = resolveTimeRange(req, nowMs);
  if (range.fromMs !== undefined || range.toMs !== undefined) {
    c.push({ range: { eventTime: { format: 'epoch_millis', ...(range.fromMs !== undefined ? { gte: range.fromMs } : {}), ...(range.toMs !== undefined ? { lte: range.toMs } : {}) } } });
  }
  terms('ruleId', req.rules);
  terms('ruleLevel', req.levels);
  terms('status', req.statuses);
  terms('principal', req.principals);
  terms('sourceIp', req.sourceIps);
  terms('eventIds', req.eventIds);
  c.push(...scopeClauses(scope));
  return c.length === 0 ? { match_all: {} } : { bool: { filter: c } };
}

function decodeCursor(cursor: string): unknown[] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2) return v;
  } catch {
    // fall through
  }
  throw new TrailscopeError('INVALID_CURSOR', 'cursor: not a findings cursor; repeat the original request', { context: { field: 'cursor' } });
}

/** Findings newest first (by event time), within the caller's scope. */
export async function listFindings(client: OpenSearchClient, names: Pick<Names, 'findingsIndex'>, req: FindingsRequest, scope: Scope, nowMs = Date.now()): Promise<FindingsPage> {
  const body: Record<string, unknown> = {
    query: findingsQuery(req, scope, nowMs),
    sort: [{ eventTime: { order: 'desc' } }, { id: { order: 'desc' } }],
    size: req.pageSize + 1,
    track_total_hits: true,
  };
  if (req.cursor) body.search_after = decodeCursor(req.cursor);
  let hits: Array<{ _source: FindingDoc; sort?: unknown[] }>;
  let total: number;
  try {
    const res = await client.search({ index: names.findingsIndex, body: body as never, ignore_unavailable: true, allow_no_indices: true });
    const h = (res.body as unknown as { hits: { total: { value: number }; hits: Array<{ _source: FindingDoc; sort?: unknown[] }> } }).hits;
    hits = h.hits;
    total = h.total.value;
  } catch (err) {
    if (errorFacts(err).statusCode === 404) return { findings: [], total: 0 };
    throw toOpenSearchError(err, 'searching findings', { callerQuery: true, target: names.findingsIndex });
  }
  const page = hits.slice(0, req.pageSize);
  const out: FindingsPage = { findings: page.map((h) => h._source), total };
  const last = page[page.length - 1];
  if (hits.length > req.pageSize && last?.sort) out.cursor = Buffer.from(JSON.stringify(last.sort)).toString('base64url');
  return out;
}

function assertFindingId(id: string): void {
  if (!/^f-[0-9a-f]{8,64}$/.test(id)) throw new TrailscopeError('VALIDATION_FAILED', `id: "${id.slice(0, 80)}" is not a finding id`, { context: { field: 'id' } });
}

/** One finding; NOT_FOUND when it does not exist or lies outside the scope (a scoped caller cannot probe ids). */
export async function getFinding(client: OpenSearchClient, names: Pick<Names, 'findingsIndex'>, id: string, scope: Scope): Promise<FindingDoc> {
  assertFindingId(id);
  let hits: Array<{ _source: FindingDoc }>;
  try {
    const res = await client.search({
      index: names.findingsIndex,
      body: { size: 1, query: { bool: { filter: [{ ids: { values: [id] } }, ...scopeClauses(scope)] } } } as never,
      ignore_unavailable: true,
      allow_no_indices: true,
    });
    hits = (res.body as unknown as { hits: { hits: Array<{ _source: FindingDoc }> } }).hits.hits;
  } catch (err) {
    throw toOpenSearchError(err, `reading finding ${id}`, { target: names.findingsIndex });
  }
  const hit = hits[0];
  if (!hit) throw new TrailscopeError('NOT_FOUND', `finding ${id}: not found`, { context: { id } });
  return hit._source;
}

export function parseStatusChange(input: unknown): FindingStatusChange {
  const parsed = FindingStatusChangeSchema.safeParse(input);
  if (!parsed.success) throw validationErrorFrom(parsed.error, 'status change');
  return parsed.data;
}

/** Sets a finding's status with who and when; the finding must be visible within the scope. */
export async function setFindingStatus(
  client: OpenSearchClient,
  names: Pick<Names, 'findingsIndex'>,
  id: string,
  change: FindingStatusChange,
  scope: Scope,
  now = new Date(),
): Promise<FindingDoc> {
  const current = await getFinding(client, names, id, scope);
  const fields: Partial<FindingDoc> = { status: change.status, statusBy: change.by ?? 'unknown', statusAt: now.toISOString() };
  if (change.reason !== undefined) fields.statusReason = change.reason;
  try {
    await client.update({ index: names.findingsIndex, id, body: { doc: fields } as never, refresh: 'wait_for', retry_on_conflict: 3 });
  } catch (err) {
    if (errorFacts(err).statusCode === 404) throw new TrailscopeError('NOT_FOUND', `finding ${id}: not found`, { context: { id } });
    throw toOpenSearchError(err, `updating finding ${id}`, { target: names.findingsIndex });
  }
  return { ...current, ...fields };
}
