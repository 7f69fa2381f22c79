import { TrailscopeError } from '@trailscope/model';
import { createLogger } from './logger';

/** A logger writing into an array of parsed lines. */
function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level: 'info', name: 'test', destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) } });
  return { logger, lines };
}

describe('createLogger', () => {
  it('keeps the code, context and cause of an error logged as { err }', () => {
    const { logger, lines } = capture();
    const cause = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    logger.warn({ err: new TrailscopeError('OPENSEARCH_UNAVAILABLE', 'bulk request failed', { cause, context: { index: 'x-events-2026.03.01' } }) }, 'retrying');
    const err = lines[0]?.err as Record<string, unknown>;
    expect(err).toEqual(
      expect.objectContaining({
        type: 'TrailscopeError',
        message: 'bulk request failed',
        code: 'OPENSEARCH_UNAVAILABLE',
        context: { index: 'x-events-2026.03.01' },
        cause: expect.objectContaining({ message: 'socket hang up', code: 'ECONNRESET' }),
      }),
    );
    expect(err.stack).toEqual(expect.stringContaining('bulk request failed'));
    expect(lines[0]).toEqual(expect.objectContaining({ level: 40, name: 'test', msg: 'retrying' }));
  });

  it('drops the request and response a client error carries, at any depth of the cause chain', () => {
    const { logger, lines } = capture();
    const clientError = Object.assign(new Error('Response Error'), { meta: { meta: { request: { params: { headers: { authorization: 'Basic c2VjcmV0' } } } } } });
    const sdkError = Object.assign(new Error('SlowDown'), { $response: { body: 'x' }, $metadata: { httpStatusCode: 503 } });
    logger.error({ err: clientError }, 'a');
    logger.error({ err: new Error('outer', { cause: sdkError }) }, 'b');
    expect(JSON.stringify(lines)).not.toContain('c2VjcmV0');
    expect(lines[0]?.err).not.toHaveProperty('meta');
    expect((lines[1]?.err as { cause: Record<string, unknown> }).cause).toEqual(expect.objectContaining({ message: 'SlowDown', $metadata: { httpStatusCode: 503 } }));
    expect((lines[1]?.err as { cause: Record<string, unknown> }).cause).not.toHaveProperty('$response');
  });

  it('passes a non-error err through and redacts secrets by path', () => {
    const { logger, lines } = capture();
    logger.info({ err: { code: 'S3_UNAVAILABLE', message: 'read back from Redis' }, key: { secret: 'abc' }, serverKey: 'k' }, 'c');
    expect(lines[0]).toEqual(expect.objectContaining({ err: { code: 'S3_UNAVAILABLE', message: 'read back from Redis' }, key: { secret: '[redacted]' }, serverKey: '[redacted]' }));
  });
});
