import { errorCodeOf } from '@trailscope/model';
import { decodeCursor, encodeCursor, requestHash } from './cursor';
import { parseSearchRequest } from './search-request';

describe('cursor', () => {
  const request = parseSearchRequest({ accounts: ['111111111111'], from: '7d', eventNames: ['A', 'B'] });
  const hash = requestHash(request, request.sort);

  it('round-trips through opaque base64url text', () => {
    const cursor = { v: 1 as const, h: hash, n: 123, a: [1700000000000, 'abc'], p: 'pit==' };
    const text = encodeCursor(cursor);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(text, hash)).toEqual(cursor);
  });

  it('hashes filters and sort but not page size, cursor or raw flag', () => {
    const same = parseSearchRequest({ eventNames: ['A', 'B'], from: '7d', accounts: ['111111111111'], pageSize: 5, includeRaw: true, cursor: 'x' });
    expect(requestHash(same, same.sort)).toBe(hash);
    const other = parseSearchRequest({ accounts: ['111111111111'], from: '7d', eventNames: ['B', 'A'] });
    expect(requestHash(other, other.sort)).not.toBe(hash);
    expect(requestHash(request, 'asc')).not.toBe(hash);
  });

  it.each([
    ['not base64url', '!!!'],
    ['not JSON', Buffer.from('nope').toString('base64url')],
    ['wrong shape', Buffer.from(JSON.stringify({ v: 2 })).toString('base64url')],
    ['extra field', encodeCursor({ v: 1, h: 'a'.repeat(32), n: 1, a: [1], x: 1 } as never)],
  ])('rejects %s as INVALID_CURSOR', (_why, text) => {
    let err: unknown;
    try {
      decodeCursor(text, hash);
    } catch (e) {
      err = e;
    }
    expect(errorCodeOf(err)).toBe('INVALID_CURSOR');
    expect((err as Error).message).toMatch(/^cursor: /);
  });

  it('rejects a cursor presented with different filters', () => {
    const text = encodeCursor({ v: 1, h: 'f'.repeat(32), n: 1, a: [1, 'x'] });
    expect(() => decodeCursor(text, hash)).toThrow(/different filters/);
  });
});
