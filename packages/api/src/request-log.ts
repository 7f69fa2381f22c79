import type { FastifyRequest } from 'fastify';
import type { Logger } from '@trailscope/runtime';

/** Query parameters whose values are credentials of a kind: a cursor lets its key page on, so it stays out of logs. */
const REDACTED_PARAMS = new Set(['cursor', 'nexttoken', 'x-amz-signature', 'x-amz-credential', 'x-amz-security-token']);

/** The URL with the values of cursor-like query parameters replaced, for logging. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const parts = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const rawName = eq < 0 ? pair : pair.slice(0, eq);
      let name: string;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        name = rawName;
      }
      return REDACTED_PARAMS.has(name.toLowerCase()) && eq >= 0 ? `${rawName}=[redacted]` : pair;
    });
  return `${url.slice(0, q)}?${parts.join('&')}`;
}

/** Fastify's request serializer with the URL redacted. */
function serializeRequest(request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: redactUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket ? request.socket.remotePort : undefined,
  };
}

/** The logger fastify logs requests with: the same destination, requests serialized without cursors. */
export function requestLogger(logger: Logger): Logger {
  return logger.child({}, { serializers: { req: serializeRequest as never } });
}
