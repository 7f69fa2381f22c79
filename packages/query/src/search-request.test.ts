import { parseSearchRequest, SearchRequestSchema } from './search-request';
import { errorCodeOf, TrailscopeError } from '@trailscope/model';

function failure(input: unknown): TrailscopeError {
  try {
    parseSearchRequest(input);
  } catch (err) {
    return err as TrailscopeError;
  }
  throw new Error('expected a validation failure');
}

describe('SearchRequest schema', () => {
  it('applies defaults', () => {
    const r = parseSearchRequest({});
    expect(r).toEqual({ sort: 'desc', pageSize: 100, includeRaw: false });
  });

  it('accepts every filter', () => {
    const input = {
      accounts: ['111111111111'],
      regions: ['us-east-1', 'eu-west-1'],
      from: '7d',
      to: '2026-03-01T12:00:00.123Z',
      eventIds: ['e1'],
      eventNames: ['DeleteBucket'],
      eventSources: ['s3.amazonaws.com'],
      eventTypes: ['AwsApiCall'],
      eventCategory: 'Management',
      users: ['alice', 'arn:aws:iam::111111111111:user/alice'],
      principalArns: ['arn:aws:iam::111111111111:user/alice'],
      userNames: ['alice'],
      principalIds: ['AIDA1'],
      userTypes: ['IAMUser'],
      sessionIssuerArns: ['arn:aws:iam::111111111111:role/Admin'],
      sessionIssuerNames: ['Admin'],
      accessKeyIds: ['AKIA1'],
      sourceIps: ['10.0.0.0/8', '2001:db8::1', 'ec2.amazonaws.com', 'AWS Internal'],
      userAgent: 'aws-cli',
      errorCodes: ['AccessDenied'],
      errorsOnly: true,
      readOnly: false,
      resourceArns: ['arn:aws:s3:::logs-1'],
      resourceTypes: ['AWS::S3::Bucket'],
      resourceNames: ['logs-1'],
      fields: { 'requestParameters.bucketName': ['logs-1'], eventName: ['X'] },
      text: 'AccessDenied',
      sort: 'asc',
      pageSize: 1000,
      cursor: 'abc',
      includeRaw: true,
    };
    expect(parseSearchRequest(input)).toEqual(input);
  });

  it('rejects unknown fields, naming them', () => {
    const err = failure({ acounts: ['111111111111'] });
    expect(errorCodeOf(err)).toBe('VALIDATION_FAILED');
    expect(err.message).toMatch(/^acounts: unknown field/);
  });

  it.each([
    [{ accounts: ['12345'] }, /^accounts\.0: .*12-digit/],
    [{ accounts: [] }, /^accounts: must not be empty/],
    [{ regions: ['US East'] }, /^regions\.0: /],
    [{ from: 'yesterday' }, /^from: /],
    [{ to: '2026-03-01T12:00:00' }, /^to: /],
    [{ sourceIps: ['10.0.0.300'] }, /^sourceIps\.0: /],
    [{ sourceIps: ['10.0.0.0/33'] }, /^sourceIps\.0: /],
    [{ fields: { 'foo.bar': ['x'] } }, /^fields\.foo\.bar: /],
    [{ fields: { requestParameters: ['x'] } }, /^fields\.requestParameters: /],
    [{ pageSize: 0 }, /^pageSize: /],
    [{ pageSize: 1001 }, /^pageSize: /],
    [{ sort: 'newest' }, /^sort: /],
    [{ eventCategory: 'management' }, /^eventCategory: /],
    [{ readOnly: 'true' }, /^readOnly: /],
    [{ text: '   ' }, /^text: /],
  ])('rejects %j naming the field', (input, message) => {
    const err = failure(input);
    expect(errorCodeOf(err)).toBe('VALIDATION_FAILED');
    expect(err.message).toMatch(message);
  });

  it('converts to JSON Schema for the OpenAPI document', () => {
    const schema = SearchRequestSchema.toJSONSchema({ io: 'input' }) as { properties: Record<string, unknown>; additionalProperties: unknown };
    expect(Object.keys(schema.properties)).toContain('accounts');
    expect(schema.additionalProperties).toBe(false);
  });
});
