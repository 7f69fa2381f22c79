import { FIELDS, TrailscopeError } from '@trailscope/model';
import type { SearchFilters } from './search-filters';
import { assertWithinScope, scopeClauses, type Scope } from './scope';
import { resolveTimeMs } from './time-expression';
import { classifySourceIp } from './source-ip';
import { filterFieldPath } from './fields';
import { assertFilterCost, TEXT_QUERY_FLAGS } from './query-cost';

export type Dsl = Record<string, unknown>;

export interface DslOptions {
  /** The instant relative times count back from; pinned by the cursor across pages. */
  nowMs: number;
}

export interface EventTimeRange {
  fromMs?: number;
  toMs?: number;
}

/**
 * Fields free text is matched against. Keyword fields match whole values (an ARN, an IP, an access key id, an
 * error code), which is what incident responders paste; the flat_object roots match any leaf value.
 */
export const TEXT_FIELDS = [
  FIELDS.eventName,
  FIELDS.eventSource,
  FIELDS.eventID,
  FIELDS.errorCode,
  FIELDS.errorMessage,
  FIELDS.userArn,
  FIELDS.userName,
  FIELDS.principalId,
  FIELDS.accessKeyId,
  FIELDS.sessionIssuerArn,
  FIELDS.sessionIssuerUserName,
  FIELDS.sourceIPAddress,
  FIELDS.userAgent,
  FIELDS.resourceArn,
  FIELDS.requestID,
  FIELDS.requestParameters,
  FIELDS.responseElements,
  FIELDS.additionalEventData,
] as const;

export function escapeWildcard(value: string): string {
  return value.replace(/[\\*?]/g, (c) => `\\${c}`);
}

const terms = (field: string, values: readonly (string | boolean)[]) => ({ terms: { [field]: values } });
const anyOf = (clauses: object[]): object =>
  clauses.length === 1 ? (clauses[0] as object) : { bool: { should: clauses, minimum_should_match: 1 } };

/** The eventTime bounds of a request, resolved against `nowMs`; VALIDATION_FAILED when from > to. */
export function resolveTimeRange(filters: Pick<SearchFilters, 'from' | 'to'>, nowMs: number): EventTimeRange {
  const range: EventTimeRange = {};
  if (filters.from !== undefined) range.fromMs = resolveTimeMs(filters.from, nowMs, 'from');
  if (filters.to !== undefined) range.toMs = resolveTimeMs(filters.to, nowMs, 'to');
  if (range.fromMs !== undefined && range.toMs !== undefined && range.fromMs > range.toMs) {
    throw new TrailscopeError('VALIDATION_FAILED', `from: ${filters.from} is after to (${filters.to})`, {
      context: { field: 'from' },
    });
  }
  return range;
}

/** Lucene regular-expression syntax escaped, so that a name is matched exactly as written. */
export function escapeRegexp(value: string): string {
  return value.replace(/[.?+*|{}[\]()"\\#@&<>~]/g, (c) => `\\${c}`);
}

/**
 * One clause matching values that end in a separator and one of the names. A leading wildcard visits every term of
 * the field whatever the names: one automaton for all of them costs one such pass per field, where a wildcard per
 * name cost one per name (measured: 10 names took 20 times as long as 1).
 */
function suffixClause(field: string, separators: string, names: string[]): object {
  return { regexp: { [field]: { value: `.*[${separators}](${names.map(escapeRegexp).join('|')})`, flags: 'NONE' } } };
}

function userClauses(values: string[]): object[] {
  const arns = values.filter((v) => v.startsWith('arn:'));
  const names = values.filter((v) => !v.startsWith('arn:'));
  const clauses: object[] = [];
  if (arns.length > 0) clauses.push(terms(FIELDS.userArn, arns), terms(FIELDS.sessionIssuerArn, arns));
  if (names.length > 0) {
    clauses.push(terms(FIELDS.userName, names), terms(FIELDS.sessionIssuerUserName, names));
    // An assumed-role session has no userName: its session name is the ARN's last segment and the principalId's suffix.
    clauses.push(suffixClause(FIELDS.userArn, '/', names), suffixClause(FIELDS.principalId, ':', names));
  }
  return clauses;
}

function resourceNameClauses(values: string[]): object[] {
  const clauses: object[] = [terms(FIELDS.resourceArn, values)];
  const names = values.filter((x) => !x.startsWith('arn:'));
  if (names.length > 0) clauses.push(suffixClause(FIELDS.resourceArn, ':/', names));
  return clauses;
}

function sourceIpClauses(values: string[]): object[] {
  const clauses: object[] = [];
  const names: string[] = [];
  for (const v of values) {
    const m = classifySourceIp(v);
    if (!m) {
      throw new TrailscopeError('VALIDATION_FAILED', `sourceIps: "${v}" is not an IP address, CIDR block or service name`, {
        context: { field: 'sourceIps' },
      });
    }
    if (m.kind === 'ip') clauses.push({ term: { [FIELDS.sourceIp]: m.value } });
    else names.push(m.value);
  }
  if (names.length > 0) clauses.push(terms(FIELDS.sourceIPAddress, names));
  return clauses;
}

/** The filter clauses of a request (without scope), in a fixed order so equal requests build equal DSL. */
export function filterClauses(f: SearchFilters, options: DslOptions): object[] {
  assertFilterCost(f);
  const c: object[] = [];
  if (f.accounts) c.push(terms(FIELDS.account, f.accounts));
  if (f.regions) c.push(terms(FIELDS.region, f.regions));
  const range = resolveTimeRange(f, options.nowMs);
  if (range.fromMs !== undefined || range.toMs !== undefined) {
    const r: Record<string, unknown> = { format: 'epoch_millis' };
    if (range.fromMs !== undefined) r.gte = range.fromMs;
    if (range.toMs !== undefined) r.lte = range.toMs;
    c.push({ range: { [FIELDS.eventTime]: r } });
  }
  if (f.eventIds) c.push(anyOf([terms(FIELDS.id, f.eventIds), terms(FIELDS.eventID, f.eventIds)]));
  if (f.eventNames) c.push(terms(FIELDS.eventName, f.eventNames));
  if (f.eventSources) c.push(terms(FIELDS.eventSource, f.eventSources));
  if (f.eventTypes) c.push(terms(FIELDS.eventType, f.eventTypes));
  if (f.eventCategory) c.push({ term: { [FIELDS.eventCategory]: f.eventCategory } });
  if (f.excludeEventCategories) c.push({ bool: { must_not: [terms(FIELDS.eventCategory, f.excludeEventCategories)] } });
  if (f.users) c.push(anyOf(userClauses(f.users)));
  if (f.principalArns) c.push(terms(FIELDS.userArn, f.principalArns));
  if (f.userNames) c.push(terms(FIELDS.userName, f.userNames));
  if (f.principalIds) c.push(terms(FIELDS.principalId, f.principalIds));
  if (f.userTypes) c.push(terms(FIELDS.userType, f.userTypes));
  if (f.sessionIssuerArns) c.push(terms(FIELDS.sessionIssuerArn, f.sessionIssuerArns));
  if (f.sessionIssuerNames) c.push(terms(FIELDS.sessionIssuerUserName, f.sessionIssuerNames));
  if (f.accessKeyIds) c.push(terms(FIELDS.accessKeyId, f.accessKeyIds));
  if (f.sourceIps) c.push(anyOf(sourceIpClauses(f.sourceIps)));
  if (f.userAgent) {
    c.push({ wildcard: { [FIELDS.userAgent]: { value: `*${escapeWildcard(f.userAgent)}*`, case_insensitive: true } } });
  }
  if (f.errorCodes) c.push(terms(FIELDS.errorCode, f.errorCodes));
  if (f.errorsOnly === true) c.push({ exists: { field: FIELDS.errorCode } });
  if (f.errorsOnly === false) c.push({ bool: { must_not: [{ exists: { field: FIELDS.errorCode } }] } });
  if (f.readOnly !== undefined) c.push({ term: { [FIELDS.readOnly]: f.readOnly } });
  if (f.resourceArns) c.push(terms(FIELDS.resourceArn, f.resourceArns));
  if (f.resourceTypes) c.push(terms(FIELDS.resourceType, f.resourceTypes));
  if (f.resourceNames) c.push(anyOf(resourceNameClauses(f.resourceNames)));
  if (f.fields) {
    for (const path of Object.keys(f.fields).sort()) {
      const field = filterFieldPath(path);
      if (!field) {
        throw new TrailscopeError('VALIDATION_FAILED', `fields.${path}: not a filterable field path`, {
          context: { field: `fields.${path}` },
        });
      }
      c.push(terms(field, f.fields[path] as string[]));
    }
  }
  if (f.text) {
    c.push({
      simple_query_string: { query: f.text, fields: [...TEXT_FIELDS], default_operator: 'and', lenient: true, flags: TEXT_QUERY_FLAGS },
    });
  }
  return c;
}

/**
 * The OpenSearch query for a request within a scope. The scope is ANDed last and cannot be widened: a request
 * naming an account or region outside it is FORBIDDEN rather than silently narrowed.
 */
export function toDsl(filters: SearchFilters, scope: Scope, options: DslOptions): Dsl {
  assertWithinScope(filters, scope);
  const clauses = [...filterClauses(filters, options), ...scopeClauses(scope)];
  if (clauses.length === 0) return { match_all: {} };
  return { bool: { filter: clauses } };
}

/** Newest first by default; the document id breaks ties so search_after never skips or repeats an event. */
export function sortFor(order: 'asc' | 'desc'): object[] {
  return [{ [FIELDS.eventTime]: { order } }, { [FIELDS.id]: { order } }];
}
