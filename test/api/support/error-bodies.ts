import type { FastifyInstance } from 'fastify';
import { testEnv } from '../../support/env';

export interface ErrorBody {
  method: string;
  url: string;
  status: number;
  body: string;
}

/** Records the body of every answer with status >= 400 the server sends, in order. */
export function recordErrorBodies(app: FastifyInstance): ErrorBody[] {
  const bodies: ErrorBody[] = [];
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode >= 400) {
      const body = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : String(payload);
      bodies.push({ method: request.method, url: request.url.split('?')[0] ?? '', status: reply.statusCode, body });
    }
    return payload;
  });
  return bodies;
}

const hostPort = (url: string) => new URL(url).host;

/**
 * What an error body must never contain: the namespace (every index, alias and template name starts with it), an
 * address of a service behind the API (or any IPv4 address with a port, or localhost with one), an OpenSearch
 * exception class or client error name, or an API key id.
 */
export function leaksIn(bodies: ErrorBody[], namespaces: string[]): string[] {
  const env = testEnv();
  const addresses = [env.opensearchUrl, env.redisUrl, env.s3Endpoint].map(hostPort);
  const patterns: Array<[string, RegExp]> = [
    ['an IPv4 address with a port', /\b\d{1,3}(?:\.\d{1,3}){3}:\d{2,5}\b/],
    ['localhost with a port', /\blocalhost:\d{2,5}\b/i],
    ['an OpenSearch exception type', /\b[a-z]+(?:_[a-z]+)*_exception\b/],
    ['a Java exception class', /\b(?:org\.opensearch|java\.\w+)\.|\bOpenSearch\w*Exception\b|\b[A-Z]\w*Exception:/],
    ['an OpenSearch client error', /\b(?:ResponseError|ConnectionError|NoLivingConnectionsError|DeserializationError|SerializationError|TimeoutError|RequestAbortedError)\b/],
    ['an API key id', /\bTS[A-Z2-7]{18}\b/],
    ['a socket error', /\b(?:ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH)\b/],
  ];
  const leaks: string[] = [];
  for (const b of bodies) {
    let text = b.body;
    // AWS's protocol names its own error shape in __type (InvalidNextTokenException, ...): that is the contract
    try {
      const json = JSON.parse(b.body) as Record<string, unknown>;
      if (typeof json.__type === 'string') text = JSON.stringify({ ...json, __type: undefined });
    } catch {
      // not JSON: checked as text
    }
    const where = `${b.method} ${b.url} -> ${b.status}: ${b.body}`;
    for (const ns of namespaces) if (text.includes(ns)) leaks.push(`namespace "${ns}" in ${where}`);
    for (const a of addresses) if (text.includes(a)) leaks.push(`address ${a} in ${where}`);
    for (const [what, re] of patterns) if (re.test(text)) leaks.push(`${what} in ${where}`);
  }
  return leaks;
}
