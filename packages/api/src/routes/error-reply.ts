import type { FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, errorCodeOf, errorMessageOf, type ErrorCode } from '@trailscope/model';

/** Fastify's own 4xx errors (bad JSON, wrong media type, body too large) are the caller's: VALIDATION_FAILED. */
function codeOf(err: unknown): { code: ErrorCode; status: number } {
  const code = errorCodeOf(err);
  if (code !== 'INTERNAL') return { code, status: ERROR_CODES[code].httpStatus };
  const status = (err as { statusCode?: number }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return { code: 'VALIDATION_FAILED', status };
  return { code, status: ERROR_CODES.INTERNAL.httpStatus };
}

/** `{"error":{"code","message"}}` with the code table's HTTP status; internal details stay in the log. */
export function sendError(request: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  const { code, status } = codeOf(err);
  if (status >= 500) request.log.error({ err, code }, 'request failed');
  else request.log.info({ code, status }, 'request rejected');
  const message = code === 'INTERNAL' && status >= 500 ? 'internal error' : errorMessageOf(err);
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="trailscope"');
  return reply.status(status).send({ error: { code, message } });
}
