import { TrailscopeError } from '@trailscope/model';
import { AwsError } from '../lookup/aws-error';
import { awsErrorOf, cloudTrailOperationOf } from './lookup-events-route';

describe('X-Amz-Target', () => {
  it.each([
    ['CloudTrail_20131101.LookupEvents', 'LookupEvents'],
    ['com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents', 'LookupEvents'],
    ['CloudTrail_20131101.DescribeTrails', 'DescribeTrails'],
    ['com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.StartLogging', 'StartLogging'],
    ['DynamoDB_20120810.Query', undefined],
    ['com.amazonaws.cloudtrail.v20131101.LookupEvents', undefined],
    ['xCloudTrail_20131101.LookupEvents', undefined],
    ['CloudTrail_20131101.LookupEvents ', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%j names operation %j', (target, operation) => {
    expect(cloudTrailOperationOf(target)).toBe(operation);
  });
});

describe('awsErrorOf', () => {
  const shape = (err: unknown) => {
    const a = awsErrorOf(err);
    return [a.type, a.status];
  };

  it('keeps AWS errors as they are', () => {
    const e = new AwsError('InvalidTimeRangeException', 'x');
    expect(awsErrorOf(e)).toBe(e);
  });

  it('answers a rate limit as AWS does, which every SDK retries with backoff', () => {
    expect(shape({ code: 'RATE_LIMITED', message: 'too many' })).toEqual(['ThrottlingException', 400]);
    expect(shape(Object.assign(new Error('Rate limit exceeded'), { statusCode: 429 }))).toEqual(['ThrottlingException', 400]);
  });

  it.each([
    [new TrailscopeError('INVALID_CURSOR', 'cursor: bad'), 'InvalidNextTokenException', 400],
    [new TrailscopeError('VALIDATION_FAILED', 'users: too long'), 'InvalidParameterException', 400],
    [new TrailscopeError('FORBIDDEN', 'accounts: not in scope'), 'AccessDeniedException', 403],
    [new TrailscopeError('OPENSEARCH_UNAVAILABLE', 'down'), 'ServiceUnavailableException', 503],
    [new TrailscopeError('TIMEOUT', 'slow'), 'ServiceUnavailableException', 503],
    [new TrailscopeError('NOT_FOUND', 'no such thing'), 'InvalidParameterException', 400],
    [new TrailscopeError('CONFIG_INVALID', 'server key'), 'InternalFailure', 500],
    [new TrailscopeError('INTERNAL', 'bug'), 'InternalFailure', 500],
    [Object.assign(new Error('Request body is too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }), 'SerializationException', 413],
    [new Error('boom'), 'InternalFailure', 500],
  ])('maps %s to %s %d', (err, type, status) => {
    expect(shape(err)).toEqual([type, status]);
  });

  it('never passes an internal message to the caller', () => {
    expect(awsErrorOf(new TrailscopeError('INTERNAL', 'index t-1-events-2026.03.01 at 10.0.0.1:9200')).message).not.toMatch(/t-1|10\.0\.0\.1/);
    expect(awsErrorOf(new TrailscopeError('OPENSEARCH_UNAVAILABLE', 'connect ECONNREFUSED 10.0.0.1:9200')).message).not.toMatch(/10\.0\.0\.1/);
  });
});
