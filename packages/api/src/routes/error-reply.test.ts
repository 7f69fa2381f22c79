import Fastify from 'fastify';
import { ERROR_CODES, TrailscopeError, type ErrorCode } from '@trailscope/model';
import { sendError } from './error-reply';

const DETAIL = 'read API key on prod-apikeys: OpenSearch unreachable (connect ECONNREFUSED 10.0.0.7:9200)';
const CALLER: ErrorCode[] = ['USAGE', 'VALIDATION_FAILED', 'INVALID_CURSOR', 'QUERY_TOO_COSTLY', 'NOT_FOUND', 'UNAUTHORIZED', 'FORBIDDEN', 'RATE_LIMITED', 'TIMEOUT'];

// fastify's inject needs an ES module jest does not load here: a real loopback listener instead
function headersOf(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name] = value;
  });
  return out;
}

async function answerTo(err: unknown) {
  const app = Fastify({ genReqId: () => 'req-fixed-id' });
  app.get('/', async () => {
    throw err;
  });
  app.setErrorHandler((e, request, reply) => sendError(request, reply, e));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const res = await fetch(url);
    return { status: res.status, body: (await res.json()) as { error: { code: string; message: string; requestId: string } }, headers: headersOf(res.headers) };
  } finally {
    await app.close();
  }
}

describe('error replies', () => {
  it.each(Object.keys(ERROR_CODES) as ErrorCode[])('answers %s with its HTTP status, the request id, and no server detail unless it is the caller\'s', async (code) => {
    const { status, body, headers } = await answerTo(new TrailscopeError(code, DETAIL));
    expect(status).toBe(ERROR_CODES[code].httpStatus);
    expect(body.error.code).toBe(code);
    expect(body.error.requestId).toBe('req-fixed-id');
    expect(headers['x-request-id']).toBe('req-fixed-id');
    if (CALLER.includes(code)) expect(body.error.message).toBe(DETAIL);
    else expect(body.error.message).not.toMatch(/prod-apikeys|10\.0\.0\.7|ECONNREFUSED/);
  });

  it('answers a cost refusal 400 and a rate limit 429, not 503', async () => {
    expect((await answerTo(new TrailscopeError('QUERY_TOO_COSTLY', 'users: at most 20 values'))).status).toBe(400);
    expect((await answerTo(new TrailscopeError('RATE_LIMITED', 'rate: at most 600 requests a minute'))).status).toBe(429);
  });

  it('answers foreign errors 500 "internal error", and fastify\'s own 4xx as the caller\'s', async () => {
    const internal = await answerTo(new Error(`ResponseError: index_not_found_exception [prod-events] at 10.0.0.7:9200`));
    expect([internal.status, internal.body.error]).toEqual([500, { code: 'INTERNAL', message: 'internal error', requestId: 'req-fixed-id' }]);
    const tooLarge = await answerTo(Object.assign(new Error('Request body is too large'), { statusCode: 413 }));
    expect([tooLarge.status, tooLarge.body.error.code, tooLarge.body.error.message]).toEqual([413, 'VALIDATION_FAILED', 'Request body is too large']);
  });
});
