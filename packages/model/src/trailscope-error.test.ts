import { ERROR_CODES, isErrorCode } from './error-codes';
import { TrailscopeError, errorCodeOf, errorMessageOf, isRetryable } from './trailscope-error';

describe('TrailscopeError and the code table', () => {
  it('carries code, context, cause and the table row of its code', () => {
    const cause = new Error('socket hang up');
    const err = new TrailscopeError('S3_UNAVAILABLE', 'listing s3://b/AWSLogs/ failed', { cause, context: { bucket: 'b' } });
    expect([err.name, err.code, err.message, err.cause, err.context]).toEqual(['TrailscopeError', 'S3_UNAVAILABLE', 'listing s3://b/AWSLogs/ failed', cause, { bucket: 'b' }]);
    expect([err.retryable, err.httpStatus, err.exitCode]).toEqual([true, 503, 1]);
    expect(JSON.parse(JSON.stringify(err))).toEqual({ code: 'S3_UNAVAILABLE', message: 'listing s3://b/AWSLogs/ failed', context: { bucket: 'b' } });
    expect(new TrailscopeError('USAGE', 'x').context).toEqual({});
    expect('cause' in new TrailscopeError('USAGE', 'x')).toBe(false);
  });

  it('reads the code of errors that lost their prototype (read back from Redis), INTERNAL otherwise', () => {
    const revived = JSON.parse(JSON.stringify(new TrailscopeError('GZIP_TRUNCATED', 'truncated'))) as unknown;
    expect(errorCodeOf(revived)).toBe('GZIP_TRUNCATED');
    expect(isRetryable(revived)).toBe(false);
    expect(isRetryable({ code: 'OPENSEARCH_UNAVAILABLE' })).toBe(true);
    for (const foreign of [new Error('x'), { code: 'ECONNRESET' }, { code: 'toString' }, { code: 42 }, null, undefined, 'USAGE']) {
      expect(errorCodeOf(foreign)).toBe('INTERNAL');
    }
  });

  it('isErrorCode accepts exactly the table keys', () => {
    for (const code of Object.keys(ERROR_CODES)) expect(isErrorCode(code)).toBe(true);
    for (const v of ['constructor', 'hasOwnProperty', '__proto__', 'usage', '', 1]) expect(isErrorCode(v)).toBe(false);
  });

  it('keeps the table consistent: exit codes of the CLI contract, HTTP statuses of errors, usage codes never retried', () => {
    for (const [code, row] of Object.entries(ERROR_CODES)) {
      expect([code, [1, 2, 78].includes(row.exitCode)]).toEqual([code, true]);
      expect([code, row.httpStatus >= 400 && row.httpStatus < 600]).toEqual([code, true]);
      if (row.exitCode === 2) expect([code, row.retryable]).toEqual([code, false]);
      expect(row.summary.length).toBeGreaterThan(0);
    }
  });

  it('errorMessageOf reads errors, error-like objects and anything else', () => {
    expect(errorMessageOf(new Error('a'))).toBe('a');
    expect(errorMessageOf({ message: 'b' })).toBe('b');
    expect(errorMessageOf(3)).toBe('3');
  });
});
