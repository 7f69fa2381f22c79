import { parseSearchRequest } from '@trailscope/query';
import { searchInputFromQuery } from './query-string';

describe('searchInputFromQuery', () => {
  it('maps lists, booleans, numbers and field filters', () => {
    const input = searchInputFromQuery({
      accounts: ['111111111111', '222222222222'],
      regions: 'us-east-1',
      errorsOnly: 'true',
      readOnly: 'false',
      pageSize: '5',
      field: ['requestParameters.bucketName=logs-1', 'requestParameters.bucketName=a=b'],
      from: '24h',
    });
    expect(parseSearchRequest(input)).toEqual({
      accounts: ['111111111111', '222222222222'],
      regions: ['us-east-1'],
      errorsOnly: true,
      readOnly: false,
      pageSize: 5,
      fields: { 'requestParameters.bucketName': ['logs-1', 'a=b'] },
      from: '24h',
      sort: 'desc',
      includeRaw: false,
    });
  });

  it('leaves bad values and unknown keys for the schema to name', () => {
    expect(() => parseSearchRequest(searchInputFromQuery({ readOnly: 'yes' }))).toThrow(/^readOnly: /);
    expect(() => parseSearchRequest(searchInputFromQuery({ pageSize: 'ten' }))).toThrow(/^pageSize: /);
    expect(() => parseSearchRequest(searchInputFromQuery({ account: '111111111111' }))).toThrow(/^account: unknown field/);
  });
});
