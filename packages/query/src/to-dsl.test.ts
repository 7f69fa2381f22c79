import { errorCodeOf } from '@trailscope/model';
import { parseSearchRequest } from './search-request';
import { sortFor, toDsl } from './to-dsl';
import type { Scope } from './scope';

const NOW = Date.parse('2026-03-10T00:00:00.000Z');
const A = '111111111111';
const B = '222222222222';

function filters(input: Record<string, unknown>, scope: Scope = {}) {
  const dsl = toDsl(parseSearchRequest(input), scope, { nowMs: NOW }) as { bool?: { filter: object[] } };
  return dsl.bool?.filter ?? [];
}

describe('toDsl', () => {
  it('matches everything without filters or scope', () => {
    expect(toDsl(parseSearchRequest({}), {}, { nowMs: NOW })).toEqual({ match_all: {} });
  });

  it('ORs within a list and ANDs across fields', () => {
    expect(filters({ accounts: [A, B], eventNames: ['PutObject', 'GetObject'] })).toEqual([
      { terms: { account: [A, B] } },
      { terms: { eventName: ['PutObject', 'GetObject'] } },
    ]);
  });

  it('resolves relative and absolute times, the end inclusive to the millisecond', () => {
    expect(filters({ from: '24h', to: '2026-03-09T12:00:00.999Z' })).toEqual([
      { range: { eventTime: { format: 'epoch_millis', gte: NOW - 86_400_000, lte: Date.parse('2026-03-09T12:00:00.999Z') } } },
    ]);
    expect(filters({ to: 'now' })).toEqual([{ range: { eventTime: { format: 'epoch_millis', lte: NOW } } }]);
  });

  it('rejects a range that ends before it starts, naming from', () => {
    expect(() => filters({ from: '2026-03-02T00:00:00Z', to: '2026-03-01T00:00:00Z' })).toThrow(/^from: /);
  });

  it('matches principals by ARN, name or role session name', () => {
    const [clause] = filters({ users: ['arn:aws:iam::111111111111:role/Admin', 'alice', 'bob'] });
    expect(clause).toEqual({
      bool: {
        minimum_should_match: 1,
        should: [
          { terms: { 'userIdentity.arn': ['arn:aws:iam::111111111111:role/Admin'] } },
          { terms: { 'userIdentity.sessionIssuer.arn': ['arn:aws:iam::111111111111:role/Admin'] } },
          { terms: { 'userIdentity.userName': ['alice', 'bob'] } },
          { terms: { 'userIdentity.sessionIssuer.userName': ['alice', 'bob'] } },
          // one automaton per field for every name
          { regexp: { 'userIdentity.arn': { value: '.*[/](alice|bob)', flags: 'NONE' } } },
          { regexp: { 'userIdentity.principalId': { value: '.*[:](alice|bob)', flags: 'NONE' } } },
        ],
      },
    });
  });

  it('escapes regular-expression characters in names', () => {
    const [clause] = filters({ users: ['a*b?c.d|e(f)'] }) as Array<{ bool: { should: object[] } }>;
    expect(clause?.bool.should).toContainEqual({ regexp: { 'userIdentity.arn': { value: '.*[/](a\\*b\\?c\\.d\\|e\\(f\\))', flags: 'NONE' } } });
  });

  it('sends addresses and CIDR blocks to the ip field and service names to the text', () => {
    expect(filters({ sourceIps: ['10.0.0.0/8', '2001:db8::1', 'ec2.amazonaws.com'] })).toEqual([
      {
        bool: {
          minimum_should_match: 1,
          should: [
            { term: { sourceIp: '10.0.0.0/8' } },
            { term: { sourceIp: '2001:db8::1' } },
            { terms: { sourceIPAddress: ['ec2.amazonaws.com'] } },
          ],
        },
      },
    ]);
    expect(filters({ sourceIps: ['192.0.2.1'] })).toEqual([{ term: { sourceIp: '192.0.2.1' } }]);
  });

  it('filters errors, read-only and user agent', () => {
    expect(filters({ errorsOnly: true, errorCodes: ['AccessDenied'], readOnly: false, userAgent: 'Boto3*' })).toEqual([
      { wildcard: { userAgent: { value: '*Boto3\\**', case_insensitive: true } } },
      { terms: { errorCode: ['AccessDenied'] } },
      { exists: { field: 'errorCode' } },
      { term: { readOnly: false } },
    ]);
    expect(filters({ errorsOnly: false })).toEqual([{ bool: { must_not: [{ exists: { field: 'errorCode' } }] } }]);
  });

  it('leaves out excluded categories', () => {
    expect(filters({ excludeEventCategories: ['Insight'] })).toEqual([{ bool: { must_not: [{ terms: { eventCategory: ['Insight'] } }] } }]);
  });

  it('matches path = value on the free-form objects and keyword fields', () => {
    expect(filters({ fields: { 'requestParameters.bucketName': ['logs-1', 'logs-2'], 'responseElements.x.y': ['1'], region: ['us-east-1'] } })).toEqual([
      { terms: { region: ['us-east-1'] } },
      { terms: { 'requestParameters.bucketName': ['logs-1', 'logs-2'] } },
      { terms: { 'responseElements.x.y': ['1'] } },
    ]);
  });

  it('maps identity, resource and event fields to their paths', () => {
    expect(
      filters({
        eventIds: ['e-1'],
        eventSources: ['s3.amazonaws.com'],
        eventTypes: ['AwsConsoleSignIn'],
        eventCategory: 'Data',
        principalArns: ['arn:p'],
        userNames: ['bob'],
        principalIds: ['AIDA'],
        userTypes: ['Root'],
        sessionIssuerArns: ['arn:r'],
        sessionIssuerNames: ['Admin'],
        accessKeyIds: ['AKIA'],
        resourceArns: ['arn:aws:s3:::b'],
        resourceTypes: ['AWS::S3::Bucket'],
        resourceNames: ['i-123'],
        text: 'AccessDenied',
      }),
    ).toEqual([
      { bool: { should: [{ terms: { id: ['e-1'] } }, { terms: { eventID: ['e-1'] } }], minimum_should_match: 1 } },
      { terms: { eventSource: ['s3.amazonaws.com'] } },
      { terms: { eventType: ['AwsConsoleSignIn'] } },
      { term: { eventCategory: 'Data' } },
      { terms: { 'userIdentity.arn': ['arn:p'] } },
      { terms: { 'userIdentity.userName': ['bob'] } },
      { terms: { 'userIdentity.principalId': ['AIDA'] } },
      { terms: { 'userIdentity.type': ['Root'] } },
      { terms: { 'userIdentity.sessionIssuer.arn': ['arn:r'] } },
      { terms: { 'userIdentity.sessionIssuer.userName': ['Admin'] } },
      { terms: { 'userIdentity.accessKeyId': ['AKIA'] } },
      { terms: { 'resources.ARN': ['arn:aws:s3:::b'] } },
      { terms: { 'resources.type': ['AWS::S3::Bucket'] } },
      {
        bool: {
          minimum_should_match: 1,
          should: [
            { terms: { 'resources.ARN': ['i-123'] } },
            { regexp: { 'resources.ARN': { value: '.*[:/](i-123)', flags: 'NONE' } } },
          ],
        },
      },
      expect.objectContaining({ simple_query_string: expect.objectContaining({ query: 'AccessDenied', default_operator: 'and', lenient: true }) }),
    ]);
  });

  describe('scope', () => {
    it('is always ANDed, even without filters', () => {
      expect(filters({}, { accounts: [A], regions: ['us-east-1'] })).toEqual([
        { terms: { account: [A] } },
        { terms: { region: ['us-east-1'] } },
      ]);
    });

    it('keeps a narrower request and adds the scope', () => {
      expect(filters({ accounts: [A] }, { accounts: [A, B] })).toEqual([{ terms: { account: [A] } }, { terms: { account: [A, B] } }]);
    });

    it('refuses an account outside the scope', () => {
      let err: unknown;
      try {
        filters({ accounts: [A, B] }, { accounts: [A] });
      } catch (e) {
        err = e;
      }
      expect(errorCodeOf(err)).toBe('FORBIDDEN');
      expect((err as Error).message).toMatch(new RegExp(`^accounts: .*${B}`));
    });

    it('refuses a region outside the scope', () => {
      expect(() => filters({ regions: ['eu-west-1'] }, { regions: ['us-east-1'] })).toThrow(/^regions: /);
    });

    it('matches nothing with an empty scope list', () => {
      expect(filters({}, { accounts: [] })).toEqual([{ terms: { account: [] } }]);
    });

    it('cannot be widened through path = value filters on the scoped fields', () => {
      const clauses = filters({ fields: { account: [B] } }, { accounts: [A] });
      expect(clauses).toContainEqual({ terms: { account: [A] } });
    });
  });
});

describe('sortFor', () => {
  it('sorts by eventTime then id in the same direction', () => {
    expect(sortFor('desc')).toEqual([{ eventTime: { order: 'desc' } }, { id: { order: 'desc' } }]);
    expect(sortFor('asc')).toEqual([{ eventTime: { order: 'asc' } }, { id: { order: 'asc' } }]);
  });
});
