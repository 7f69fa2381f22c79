import { TrailscopeError } from '@trailscope/model';

interface ResponseErrorLike {
  name: string;
  message: string;
  meta?: { statusCode?: number | null; body?: unknown };
}

const UNAVAILABLE_NAMES = new Set(['ConnectionError', 'NoLivingConnectionsError', 'TimeoutError', 'RequestAbortedError']);

function rootCause(body: unknown): { type?: string; reason?: string } {
  const error = (body as { error?: unknown } | undefined)?.error;
  if (!error || typeof error !== 'object') return {};
  const e = error as { type?: string; reason?: string; root_cause?: Array<{ type?: string; reason?: string }>; caused_by?: { type?: string; reason?: string } };
  const first = e.root_cause?.[0] ?? e.caused_by;
  return { type: first?.type ?? e.type, reason: first?.reason ?? e.reason };
}

/** OpenSearch's error type and HTTP status, when the error came back in a response. */
export function openSearchFailure(err: unknown): { status?: number; type?: string; reason?: string } {
  const e = err as ResponseErrorLike;
  if (!e || typeof e !== 'object' || e.name !== 'ResponseError') return {};
  return { status: e.meta?.statusCode ?? undefined, ...rootCause(e.meta?.body) };
}

/**
 * Maps a client error to a coded TrailscopeError: unreachable/throttled/5xx are retryable OPENSEARCH_UNAVAILABLE,
 * too many buckets is the caller's request (VALIDATION_FAILED), anything else OPENSEARCH_REJECTED with the reason.
 */
export function wrapOpenSearchError(err: unknown, operation: string, target: string): TrailscopeError {
  if (err instanceof TrailscopeError) return err;
  const e = err as ResponseErrorLike;
  const context = { operation, target };
  if (e && UNAVAILABLE_NAMES.has(e.name)) {
    return new TrailscopeError('OPENSEARCH_UNAVAILABLE', `${operation} on ${target}: OpenSearch unreachable (${e.message})`, { cause: err, context });
  }
  const f = openSearchFailure(err);
  if (f.status === 429 || (f.status !== undefined && f.status >= 500)) {
    return new TrailscopeError('OPENSEARCH_UNAVAILABLE', `${operation} on ${target}: OpenSearch answered ${f.status} ${f.type ?? ''} ${f.reason ?? ''}`.trim(), { cause: err, context });
  }
  if (f.type === 'too_many_buckets_exception') {
    return new TrailscopeError('VALIDATION_FAILED', `aggs: too many buckets; narrow the time range or widen the interval (${f.reason ?? ''})`, { cause: err, context: { ...context, field: 'aggs' } });
  }
  const detail = f.status !== undefined ? `${f.status} ${f.type ?? ''}: ${f.reason ?? e.message}` : (e?.message ?? String(err));
  return new TrailscopeError('OPENSEARCH_REJECTED', `${operation} on ${target}: ${detail}`, { cause: err, context });
}
