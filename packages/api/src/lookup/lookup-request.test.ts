import { lookupToSearch, toLookupEvent, usernameOf } from './lookup-request';
import type { AwsError } from './aws-error';

function awsType(body: unknown): string {
  try {
    lookupToSearch(body);
  } catch (err) {
    return (err as AwsError).type;
  }
  return 'none';
}

describe('LookupEvents requests', () => {
  it('defaults to 50 newest-first events without Insights', () => {
    expect(lookupToSearch({})).toEqual({ sort: 'desc', includeRaw: true, pageSize: 50, excludeEventCategories: ['Insight'] });
  });

  it.each([
    ['EventId', 'e-1', { eventIds: ['e-1'] }],
    ['EventName', 'DeleteBucket', { eventNames: ['DeleteBucket'] }],
    ['EventSource', 's3.amazonaws.com', { eventSources: ['s3.amazonaws.com'] }],
    ['AccessKeyId', 'AKIA1', { accessKeyIds: ['AKIA1'] }],
    ['Username', 'alice', { users: ['alice'] }],
    ['ResourceType', 'AWS::S3::Bucket', { resourceTypes: ['AWS::S3::Bucket'] }],
    ['ResourceName', 'logs-1', { resourceNames: ['logs-1'] }],
    ['ReadOnly', 'false', { readOnly: false }],
  ])('maps %s', (key, value, expected) => {
    expect(lookupToSearch({ LookupAttributes: [{ AttributeKey: key, AttributeValue: value }] })).toMatchObject(expected);
  });

  it('maps the time range (epoch seconds, end inclusive), category, page size and token', () => {
    expect(lookupToSearch({ StartTime: 1772323200, EndTime: 1772409600.5, EventCategory: 'insight', MaxResults: 7, NextToken: 'abc' })).toEqual({
      sort: 'desc',
      includeRaw: true,
      from: '2026-03-01T00:00:00.000Z',
      to: '2026-03-02T00:00:00.500Z',
      eventCategory: 'Insight',
      pageSize: 7,
      cursor: 'abc',
    });
  });

  it.each([
    ['epoch seconds', 1772323200, '2026-03-01T00:00:00.000Z'],
    ['fractional epoch seconds', 1772323200.25, '2026-03-01T00:00:00.250Z'],
    ['epoch seconds as a string', '1772323200', '2026-03-01T00:00:00.000Z'],
    ['ISO-8601 in UTC', '2026-03-01T00:00:00Z', '2026-03-01T00:00:00.000Z'],
    ['ISO-8601 with an offset and fraction', '2026-03-01T01:00:00.5+01:00', '2026-03-01T00:00:00.500Z'],
  ])('reads StartTime and EndTime given as %s', (_what, value, iso) => {
    expect(lookupToSearch({ StartTime: value, EndTime: value })).toMatchObject({ from: iso, to: iso });
  });

  it.each([['yesterday'], ['2026-03-01'], ['2026-03-01T00:00:00'], ['']])('refuses the timestamp %j naming the member', (value) => {
    expect(() => lookupToSearch({ EndTime: value })).toThrow(/^EndTime must be a timestamp/);
    expect(awsType({ EndTime: value })).toBe('SerializationException');
  });

  it.each([
    [{ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'a' }, { AttributeKey: 'EventSource', AttributeValue: 'b' }] }, 'InvalidLookupAttributesException'],
    [{ LookupAttributes: [{ AttributeKey: 'Bogus', AttributeValue: 'a' }] }, 'InvalidLookupAttributesException'],
    [{ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: '' }] }, 'InvalidLookupAttributesException'],
    [{ LookupAttributes: [{ AttributeKey: 'ReadOnly', AttributeValue: 'yes' }] }, 'InvalidLookupAttributesException'],
    [{ StartTime: 20, EndTime: 10 }, 'InvalidTimeRangeException'],
    [{ EventCategory: 'management' }, 'InvalidEventCategoryException'],
    [{ MaxResults: 0 }, 'InvalidMaxResultsException'],
    [{ MaxResults: 51 }, 'InvalidMaxResultsException'],
    [{ MaxResults: 'x' }, 'SerializationException'],
  ])('rejects %j with %s', (body, type) => {
    expect(awsType(body)).toBe(type);
  });
});

describe('LookupEvents events', () => {
  const base = { id: 'd1', eventTime: '2026-03-01T12:00:00Z', eventSource: 's3.amazonaws.com', eventName: 'GetObject', account: '111111111111', ingest: {} as never };

  it('maps a typed event with its raw record', () => {
    expect(
      toLookupEvent({
        ...base,
        eventID: 'e1',
        readOnly: true,
        userIdentity: { type: 'IAMUser', userName: 'alice', accessKeyId: 'AKIA1' },
        resources: [{ ARN: 'arn:aws:s3:::b', type: 'AWS::S3::Bucket' }],
        raw: '{"eventID":"e1"}',
      }),
    ).toEqual({
      EventId: 'e1',
      EventName: 'GetObject',
      ReadOnly: 'true',
      AccessKeyId: 'AKIA1',
      EventTime: 1772366400,
      EventSource: 's3.amazonaws.com',
      Username: 'alice',
      Resources: [{ ResourceType: 'AWS::S3::Bucket', ResourceName: 'arn:aws:s3:::b' }],
      CloudTrailEvent: '{"eventID":"e1"}',
    });
  });

  it('names role sessions and root like AWS', () => {
    expect(usernameOf({ ...base, userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::1:assumed-role/Admin/bob' } })).toBe('bob');
    expect(usernameOf({ ...base, userIdentity: { type: 'Root', arn: 'arn:aws:iam::1:root' } })).toBe('root');
  });
});
