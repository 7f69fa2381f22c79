import { errorCodeOf } from '@trailscope/model';
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

  it.each<[string, [string, string | string[]]]>([
    ['__proto__', ['__proto__', ['x', 'y']]],
    ['constructor', ['constructor', 'x']],
    ['prototype', ['prototype', ['x']]],
    ['a field path segment __proto__', ['field', '__proto__.polluted=1']],
    ['a field path segment constructor', ['field', 'requestParameters.constructor=1']],
  ])('refuses %s with VALIDATION_FAILED naming it', (_why, [key, value]) => {
    // as a query-string parser hands them over: own properties of an object without a prototype
    const query = Object.create(null) as Record<string, string | string[]>;
    Object.defineProperty(query, key, { value, enumerable: true });
    let err: unknown;
    try {
      searchInputFromQuery(query);
    } catch (e) {
      err = e;
    }
    expect(errorCodeOf(err)).toBe('VALIDATION_FAILED');
    expect((err as Error).message).toMatch(/"(__proto__|constructor|prototype)" is not allowed/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('builds objects without a prototype', () => {
    const input = searchInputFromQuery({ field: 'requestParameters.bucketName=a', regions: 'us-east-1' });
    expect(Object.getPrototypeOf(input)).toBeNull();
    expect(Object.getPrototypeOf(input.fields)).toBeNull();
    expect(parseSearchRequest(input).regions).toEqual(['us-east-1']);
  });
});
