import { TrailscopeError } from '@trailscope/model';

/** Client errors that mean "no answer from the cluster": the request may be retried once it is back. */
const CONNECTION_ERROR_NAMES = new Set(['ConnectionError', 'TimeoutError', 'NoLivingConnectionsError', 'RequestAbortedError']);

/**
 * OpenSearch error types caused by the size of what was asked, whatever HTTP status carries them (a shard-level
 * too_many_buckets_exception comes back as a 503 search_phase_execution_exception): retrying cannot help.
 */
const COSTLY_TYPES = new Set([
  'too_many_buckets_exception',
  'too_many_clauses',
  'too_many_nested_clauses',
  'too_complex_to_determinize_exception',
]);

/** Types that say the request itself is malformed or refers to nothing usable. */
const REQUEST_TYPES = new Set([
  'parsing_exception',
  'x_content_parse_exception',
  'illegal_argument_exception',
  'query_shard_exception',
  'search_context_missing_exception',
  'action_request_validation_exception',
  'number_format_exception',
]);

export interface ErrorFacts {
  /** HTTP status of the response, when there was one. */
  statusCode?: number;
  /** True when the cluster did not answer at all (connection refused or reset, client timeout, abort). */
  connection: boolean;
  /** True when the request was aborted by the caller's signal. */
  aborted: boolean;
  /** OpenSearch's error type and reason: the root cause when the response lists one. */
  type?: string;
  reason?: string;
  /** Every error type the response names (top level, root causes, caused_by chain). */
  types: string[];
  /** `durability` of a circuit_breaking_exception: PERMANENT when the request alone is over the breaker. */
  durability?: string;
}

interface ErrorNode {
  type?: unknown;
  reason?: unknown;
  durability?: unknown;
  root_cause?: unknown;
  caused_by?: unknown;
  failed_shards?: unknown;
}

function collectTypes(node: unknown, out: string[], depth = 0): void {
  if (!node || typeof node !== 'object' || depth > 8) return;
  const n = node as ErrorNode;
  if (typeof n.type === 'string') out.push(n.type);
  if (Array.isArray(n.root_cause)) for (const r of n.root_cause) collectTypes(r, out, depth + 1);
  collectTypes(n.caused_by, out, depth + 1);
  if (Array.isArray(n.failed_shards)) for (const s of n.failed_shards) collectTypes((s as { reason?: unknown })?.reason, out, depth + 1);
}

/** What an error thrown by the OpenSearch client says, read by name and shape (never instanceof). */
export function errorFacts(err: unknown): ErrorFacts {
  const e = err as { name?: unknown; meta?: { statusCode?: unknown; body?: unknown }; message?: unknown } | null;
  const name = typeof e?.name === 'string' ? e.name : '';
  const status = typeof e?.meta?.statusCode === 'number' ? e.meta.statusCode : undefined;
  const body = e?.meta?.body as { error?: ErrorNode | string } | undefined;
  const error = typeof body?.error === 'object' && body.error !== null ? body.error : undefined;
  const facts: ErrorFacts = {
    connection: CONNECTION_ERROR_NAMES.has(name) || (status === undefined && isSocketError(err)),
    aborted: name === 'RequestAbortedError' || name === 'AbortError',
    types: [],
  };
  if (status !== undefined) facts.statusCode = status;
  if (error) {
    collectTypes(error, facts.types);
    const root = (Array.isArray(error.root_cause) ? (error.root_cause[0] as ErrorNode | undefined) : undefined) ?? (error.caused_by as ErrorNode | undefined);
    const type = typeof root?.type === 'string' ? root.type : error.type;
    const reason = typeof root?.reason === 'string' ? root.reason : error.reason;
    if (typeof type === 'string') facts.type = type;
    if (typeof reason === 'string') facts.reason = reason;
    const durability = error.durability ?? (root as ErrorNode | undefined)?.durability;
    if (typeof durability === 'string') facts.durability = durability;
  } else if (typeof body?.error === 'string') {
    facts.reason = body.error;
  }
  return facts;
}

function isSocketError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|UND_ERR_)/.test(code);
}

/** The request asked for more than the cluster allows for one request: too many buckets, clauses, states. */
export function isTooCostly(facts: ErrorFacts): boolean {
  if (facts.types.some((t) => COSTLY_TYPES.has(t))) return true;
  return facts.types.includes('circuit_breaking_exception') && facts.durability === 'PERMANENT';
}

/** Worth retrying later: the cluster is down, overloaded or failing (429, 5xx, 408, no answer), not the request. */
export function isTransient(facts: ErrorFacts): boolean {
  if (facts.connection) return true;
  if (isTooCostly(facts) || facts.types.includes('task_cancelled_exception')) return false;
  const s = facts.statusCode;
  return s === 429 || s === 408 || (s !== undefined && s >= 500);
}

export interface OpenSearchErrorOptions {
  /**
   * The request carries the caller's query (search, count, aggregations): OpenSearch refusing it as invalid is the
   * caller's VALIDATION_FAILED, not the operator's OPENSEARCH_REJECTED.
   */
  callerQuery?: boolean;
  /** The caller's field a too-costly refusal is reported against (`aggs` for too many buckets). */
  field?: string;
  /** The index or alias asked, kept in the context for the log (never in the message, which a caller may see). */
  target?: string;
}

/**
 * The one mapping of OpenSearch client errors to codes, for every package: over a cluster limit is
 * QUERY_TOO_COSTLY, a cancelled task TIMEOUT, transient failures (no answer, 408, 429, 5xx) retryable
 * OPENSEARCH_UNAVAILABLE, a refused caller query VALIDATION_FAILED, anything else OPENSEARCH_REJECTED. Messages of
 * the caller's codes name the caller's field and never OpenSearch's exception text; the OpenSearch detail stays in
 * `cause` and in the context for the log.
 */
export function toOpenSearchError(err: unknown, what: string, options: OpenSearchErrorOptions = {}): TrailscopeError {
  if (err instanceof TrailscopeError) return err;
  const facts = errorFacts(err);
  const detail = facts.reason ?? (err as Error | undefined)?.message ?? String(err);
  const status = facts.statusCode !== undefined ? ` (HTTP ${facts.statusCode})` : '';
  const context: Record<string, unknown> = { operation: what, target: options.target, statusCode: facts.statusCode, type: facts.type };
  if (isTooCostly(facts)) {
    const field = options.field ?? (facts.types.includes('too_many_buckets_exception') ? 'aggs' : 'query');
    const hint = field === 'aggs' ? 'narrow the time range, widen the interval or ask for fewer buckets' : 'ask for fewer values or shorter text';
    return new TrailscopeError('QUERY_TOO_COSTLY', `${field}: over the cluster's limit for one request; ${hint}`, {
      cause: err,
      context: { ...context, field, limit: 'cluster' },
    });
  }
  if (facts.types.includes('task_cancelled_exception')) {
    return new TrailscopeError('TIMEOUT', `${what}: cancelled before it finished`, { cause: err, context });
  }
  if (isTransient(facts)) {
    return new TrailscopeError('OPENSEARCH_UNAVAILABLE', `OpenSearch unavailable during ${what}${status}: ${detail}`, { cause: err, context });
  }
  const requestError = facts.statusCode !== undefined && facts.statusCode >= 400 && facts.statusCode < 500 && facts.statusCode !== 404;
  if (options.callerQuery && (requestError || facts.types.some((t) => REQUEST_TYPES.has(t)))) {
    return new TrailscopeError('VALIDATION_FAILED', `${options.field ?? 'query'}: refused by the search engine as invalid`, {
      cause: err,
      context: { ...context, field: options.field ?? 'query' },
    });
  }
  return new TrailscopeError('OPENSEARCH_REJECTED', `OpenSearch rejected ${what}${status}: ${detail}`, { cause: err, context });
}
