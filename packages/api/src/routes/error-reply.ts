import type { FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, errorCodeOf, errorMessageOf, type ErrorCode } from '@trailscope/model';

/**
 * Codes whose messages are written for the caller: they name the caller's own field, value or limit. Every other
 * code describes the server's side (an index, a cluster address, a key store that cannot be opened) and is answered
 * with a fixed sentence; the detail goes to the log under the request id the answer carries.
 */
const CALLER_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'USAGE',
  'VALIDATION_FAILED',
  'INVALID_CURSOR',
  'QUERY_TOO_COSTLY',
  'NOT_FOUND',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'RATE_LIMITED',
  'TIMEOUT',
]);

const UNAVAILABLE = 'a service this API depends on is unavailable; retry later';
const SERVER_MESSAGES: Partial<Record<ErrorCode, string>> = {
  OPENSEARCH_UNAVAILABLE: UNAVAILABLE,
  REDIS_UNAVAILABLE: UNAVAILABLE,
  S3_UNAVAILABLE: UNAVAILABLE,
  TEMPLATE_MISSING: 'the event store is not set up; the operator must run trailscope setup',
};

/** Fastify's own 4xx errors (bad JSON, wrong media type, body too large) are the caller's: VALIDATION_FAILED. */
function codeOf(err: unknown): { code: ErrorCode; status: number } {
  const code = errorCodeOf(err);
  if (code !== 'INTERNAL') return { code, status: ERROR_CODES[code].httpStatus };
  const status = (err as { statusCode?: number }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return { code: 'VALIDATION_FAILED', status };
  return { code, status: ERROR_CODES.INTERNAL.httpStatus };
}

/** What the caller is told for an error: its own message for caller codes, a fixed sentence otherwise. */
export function publicMessageOf(code: ErrorCode, status: number, err: unknown): string {
  if (CALLER_CODES.has(code)) return errorMessageOf(err);
  return SERVER_MESSAGES[code] ?? (status === 503 ? UNAVAILABLE : 'internal error');
}

/**
 * `{"error":{"code","message","requestId"}}` with the code table's HTTP status and an `x-request-id` header; the
 * detail stays in the log, under the same request id.
 */
export function sendError(request: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  const { code, status } = codeOf(err);
  const context = (err as { context?: unknown } | null)?.context;
  if (status >= 500) request.log.error({ err, code, status }, 'request failed');
  else request.log.info({ code, status, detail: errorMessageOf(err), context }, 'request rejected');
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="trailscope"');
  return reply
    .status(status)
    .header('x-request-id', request.id)
    .send({ error: { code, message: publicMessageOf(code, status, err), requestId: request.id } });
}
