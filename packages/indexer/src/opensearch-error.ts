import { TrailscopeError } from '@trailscope/model';

/** Client errors that mean "no answer from the cluster": the request may be retried once it is back. */
const CONNECTION_ERROR_NAMES = new Set(['ConnectionError', 'TimeoutError', 'NoLivingConnectionsError', 'RequestAbortedError']);

export interface ErrorFacts {
  /** HTTP status of the response, when there was one. */
  statusCode?: number;
  /** True when the cluster did not answer at all. */
  connection: boolean;
  /** OpenSearch's error type and reason from the response body, when present. */
  type?: string;
  reason?: string;
}

/** What an error thrown by the OpenSearch client says, read by name and shape (not instanceof). */
export function errorFacts(err: unknown): ErrorFacts {
  const e = err as { name?: unknown; meta?: { statusCode?: unknown; body?: unknown }; message?: unknown } | null;
  const name = typeof e?.name === 'string' ? e.name : '';
  const status = typeof e?.meta?.statusCode === 'number' ? e.meta.statusCode : undefined;
  const body = e?.meta?.body as { error?: { type?: unknown; reason?: unknown } | string } | undefined;
  const error = typeof body?.error === 'object' ? body.error : undefined;
  const facts: ErrorFacts = { connection: CONNECTION_ERROR_NAMES.has(name) || (status === undefined && isSocketError(err)) };
  if (status !== undefined) facts.statusCode = status;
  if (typeof error?.type === 'string') facts.type = error.type;
  if (typeof error?.reason === 'string') facts.reason = error.reason;
  else if (typeof body?.error === 'string') facts.reason = body.error;
  return facts;
}

function isSocketError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|UND_ERR_)/.test(code);
}

/** Worth retrying later: the cluster is down, overloaded or failing (429, 5xx, 408, no answer). */
export function isTransient(facts: ErrorFacts): boolean {
  if (facts.connection) return true;
  const s = facts.statusCode;
  return s === 429 || s === 408 || (s !== undefined && s >= 500);
}

/**
 * An OpenSearch client error as a TrailscopeError naming what was attempted: OPENSEARCH_UNAVAILABLE (retryable)
 * when transient, else OPENSEARCH_REJECTED.
 */
export function toOpenSearchError(err: unknown, what: string): TrailscopeError {
  if (err instanceof TrailscopeError) return err;
  const facts = errorFacts(err);
  const detail = facts.reason ?? (err as Error | undefined)?.message ?? String(err);
  const status = facts.statusCode !== undefined ? ` (HTTP ${facts.statusCode})` : '';
  const context = { statusCode: facts.statusCode, type: facts.type };
  if (isTransient(facts)) {
    return new TrailscopeError('OPENSEARCH_UNAVAILABLE', `OpenSearch unavailable during ${what}${status}: ${detail}`, { cause: err, context });
  }
  return new TrailscopeError('OPENSEARCH_REJECTED', `OpenSearch rejected ${what}${status}: ${detail}`, { cause: err, context });
}
