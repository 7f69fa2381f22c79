import { errors } from '@opensearch-project/opensearch';
import { errorFacts, isTransient, toOpenSearchError } from './opensearch-error';

/** A response error exactly as the client builds it from an HTTP answer. */
function responseError(statusCode: number, error: unknown): Error {
  return new errors.ResponseError({ body: { error, status: statusCode }, statusCode, headers: {}, meta: {} as never, warnings: null });
}

const tooManyBuckets = responseError(503, {
  type: 'search_phase_execution_exception',
  reason: 'all shards failed',
  root_cause: [{ type: 'too_many_buckets_exception', reason: 'Trying to create too many buckets. Must be less than or equal to: [65535]' }],
  caused_by: { type: 'too_many_buckets_exception', reason: 'Trying to create too many buckets.' },
});

describe('the OpenSearch error mapper', () => {
  it('reads status, root cause and every named type', () => {
    const f = errorFacts(tooManyBuckets);
    expect(f).toMatchObject({ statusCode: 503, connection: false, type: 'too_many_buckets_exception' });
    expect(f.types).toEqual(expect.arrayContaining(['search_phase_execution_exception', 'too_many_buckets_exception']));
  });

  it('answers too many buckets carried by a 503 as the caller\'s QUERY_TOO_COSTLY, never a retryable 503', () => {
    const e = toOpenSearchError(tooManyBuckets, 'aggregate', { callerQuery: true, field: 'aggs', target: 'ns-events' });
    expect(e.code).toBe('QUERY_TOO_COSTLY');
    expect(e.retryable).toBe(false);
    expect(e.httpStatus).toBe(400);
    expect(e.context.field).toBe('aggs');
    expect(e.message).not.toMatch(/exception|ns-events/);
    expect(isTransient(errorFacts(tooManyBuckets))).toBe(false);
  });

  it.each([
    ['too_many_clauses', responseError(400, { type: 'search_phase_execution_exception', root_cause: [{ type: 'too_many_clauses', reason: 'maxClauseCount is set to 1024' }] })],
    ['a permanent circuit breaker trip', responseError(429, { type: 'circuit_breaking_exception', reason: '[request] Data too large', durability: 'PERMANENT' })],
  ])('answers %s as QUERY_TOO_COSTLY', (_what, err) => {
    expect(toOpenSearchError(err, 'search', { callerQuery: true }).code).toBe('QUERY_TOO_COSTLY');
  });

  it('classifies 408, 429, 5xx, socket errors and client timeouts as retryable for every caller', () => {
    const socket = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const transient = [
      responseError(408, { type: 'timeout', reason: 'request timed out' }),
      responseError(429, { type: 'circuit_breaking_exception', reason: 'parent', durability: 'TRANSIENT' }),
      responseError(429, { type: 'es_rejected_execution_exception', reason: 'queue full' }),
      responseError(500, { type: 'exception', reason: 'boom' }),
      new errors.ConnectionError('socket hang up'),
      new errors.TimeoutError('Request timed out', {} as never),
      new errors.NoLivingConnectionsError('none', {} as never),
      socket,
    ];
    for (const err of transient) {
      expect(isTransient(errorFacts(err))).toBe(true);
      expect(toOpenSearchError(err, 'bulk write').code).toBe('OPENSEARCH_UNAVAILABLE');
      expect(toOpenSearchError(err, 'search', { callerQuery: true }).code).toBe('OPENSEARCH_UNAVAILABLE');
    }
  });

  it('answers a refused caller query as VALIDATION_FAILED and a refused operator request as OPENSEARCH_REJECTED', () => {
    const bad = responseError(400, { type: 'search_phase_execution_exception', root_cause: [{ type: 'query_shard_exception', reason: 'failed to create query' }] });
    const search = toOpenSearchError(bad, 'search', { callerQuery: true });
    expect([search.code, search.httpStatus]).toEqual(['VALIDATION_FAILED', 400]);
    expect(search.message).not.toMatch(/exception/);
    expect(toOpenSearchError(bad, 'install template').code).toBe('OPENSEARCH_REJECTED');
  });

  it('answers a cancelled task as TIMEOUT', () => {
    const cancelled = responseError(400, { type: 'search_phase_execution_exception', root_cause: [{ type: 'task_cancelled_exception', reason: 'cancelled' }] });
    expect(toOpenSearchError(cancelled, 'search', { callerQuery: true }).code).toBe('TIMEOUT');
  });
});
