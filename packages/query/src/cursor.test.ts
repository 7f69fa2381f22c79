import { errorCodeOf, errorMessageOf } from '@trailscope/model';
import { decodeCursor, deriveCursorKey, encodeCursor, localCursorBinding, requestHash, type Cursor, type CursorContext } from './cursor';
import { parseSearchRequest } from './search-request';

function failureOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

describe('cursor', () => {
  const request = parseSearchRequest({ accounts: ['111111111111'], from: '7d', eventNames: ['A', 'B'] });
  const hash = requestHash(request, request.sort);
  const key = deriveCursorKey('s'.repeat(40), 'ns-a');
  const ctx: CursorContext = { binding: { key, principal: 'TSAAAAAAAAAAAAAAAAAA' }, namespace: 'ns-a', scope: { accounts: ['111111111111', '222222222222'] }, hash };
  const cursor: Cursor = { v: 2, n: 123, a: [1700000000000, 'abc'], p: 'pit==', t: 42 };

  const refusal = (text: string, context: CursorContext = ctx) => {
    const err = failureOf(() => decodeCursor(text, context));
    return { code: errorCodeOf(err), message: errorMessageOf(err) };
  };
  const REFUSED = { code: 'INVALID_CURSOR', message: 'cursor: not valid for this request; repeat the request without a cursor' };

  it('round-trips through opaque base64url text with a MAC', () => {
    const text = encodeCursor(cursor, ctx);
    expect(text).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(decodeCursor(text, ctx)).toEqual(cursor);
    // the order of the scope's lists is not part of what is bound
    expect(decodeCursor(text, { ...ctx, scope: { accounts: ['222222222222', '111111111111'] } })).toEqual(cursor);
  });

  it('hashes filters and sort but not page size, cursor or raw flag', () => {
    const same = parseSearchRequest({ eventNames: ['A', 'B'], from: '7d', accounts: ['111111111111'], pageSize: 5, includeRaw: true, cursor: 'x' });
    expect(requestHash(same, same.sort)).toBe(hash);
    const other = parseSearchRequest({ accounts: ['111111111111'], from: '7d', eventNames: ['B', 'A'] });
    expect(requestHash(other, other.sort)).not.toBe(hash);
    expect(requestHash(request, 'asc')).not.toBe(hash);
  });

  it.each<[string, Partial<CursorContext>]>([
    ['another API key', { binding: { key, principal: 'TSBBBBBBBBBBBBBBBBBB' } }],
    ['another scope', { scope: { accounts: ['111111111111'] } }],
    ['an unrestricted scope instead of an empty one', { scope: {} }],
    ['a region limit added', { scope: { accounts: ['111111111111', '222222222222'], regions: ['us-east-1'] } }],
    ['another namespace with the same key', { namespace: 'ns-b' }],
    ['the key of another namespace', { binding: { key: deriveCursorKey('s'.repeat(40), 'ns-b'), principal: 'TSAAAAAAAAAAAAAAAAAA' } }],
    ['another server key', { binding: { key: deriveCursorKey('t'.repeat(40), 'ns-a'), principal: 'TSAAAAAAAAAAAAAAAAAA' } }],
    ['other filters or sort', { hash: requestHash(request, 'asc') }],
  ])('refuses a cursor presented with %s, saying nothing more', (_why, change) => {
    expect(refusal(encodeCursor(cursor, ctx), { ...ctx, ...change })).toEqual(REFUSED);
  });

  it('refuses any change to the content: total, point in time, position, instant', () => {
    const text = encodeCursor(cursor, ctx);
    const [body, mac] = text.split('.') as [string, string];
    const json = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Cursor;
    for (const forged of [{ ...json, t: 1 }, { ...json, p: 'other-pit==' }, { ...json, a: [1, 'abd'] }, { ...json, n: 124 }, { v: 2, n: 123, a: [1700000000000, 'abc'] }]) {
      expect(refusal(`${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${mac}`)).toEqual(REFUSED);
    }
    // a single flipped bit of the MAC
    const flipped = Buffer.from(mac, 'base64url');
    flipped[0] = (flipped[0] as number) ^ 1;
    expect(refusal(`${body}.${flipped.toString('base64url')}`)).toEqual(REFUSED);
  });

  it.each([
    ['not base64url', '!!!'],
    ['no MAC', Buffer.from(JSON.stringify({ v: 2, n: 1, a: [1] })).toString('base64url')],
    ['an unsigned cursor of the earlier form', Buffer.from(JSON.stringify({ v: 1, h: hash, n: 1, a: [1, 'x'], p: 'pit' })).toString('base64url')],
    ['a short MAC', `${Buffer.from('{}').toString('base64url')}.${'A'.repeat(42)}`],
  ])('refuses %s', (_why, text) => {
    expect(refusal(text)).toEqual(REFUSED);
  });

  it('refuses authenticated content of another shape', () => {
    expect(refusal(encodeCursor({ v: 2, n: 1, a: [1], x: 1 } as never, ctx))).toEqual(REFUSED);
    expect(refusal(encodeCursor({ v: 1, n: 1, a: [1] } as never, ctx))).toEqual(REFUSED);
  });

  it('keeps the failed check for the log only', () => {
    const err = failureOf(() => decodeCursor(encodeCursor(cursor, ctx), { ...ctx, namespace: 'ns-b' })) as { context: { reason: string } };
    expect(err.context.reason).toMatch(/MAC/);
  });

  it('binds local cursors to the process key and the namespace', () => {
    const a = { ...ctx, binding: localCursorBinding('ns-a') };
    const text = encodeCursor(cursor, a);
    expect(decodeCursor(text, { ...a, binding: localCursorBinding('ns-a') })).toEqual(cursor);
    expect(refusal(text, { ...a, namespace: 'ns-b', binding: localCursorBinding('ns-b') })).toEqual(REFUSED);
    expect(refusal(text, ctx)).toEqual(REFUSED);
  });
});
